"use server";

import "server-only";
import { z } from "zod";
import { requestActor } from "@/lib/actions/request-actor";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { changeOwnPassword, ChangeOwnPasswordSchema } from "@/lib/auth/account";
import { endAllSessions } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db/client";

// The signed-in admin's own account: any role may act on itself.

export async function changeOwnPasswordAction(input: unknown) {
  return runAdminAction("VIEWER", ChangeOwnPasswordSchema, input, async (admin, data) => {
    await changeOwnPassword(getDb(), await requestActor(admin), data);
    return { email: admin.email };
  });
}

export async function signOutEverywhereAction(input: unknown) {
  return runAdminAction("VIEWER", z.object({}).strict(), input ?? {}, async (admin) => {
    await endAllSessions(getDb(), await requestActor(admin));
  });
}
