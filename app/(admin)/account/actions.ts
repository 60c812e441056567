"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { changeOwnPassword, ChangeOwnPasswordSchema } from "@/lib/auth/account";
import { clientIpFrom } from "@/lib/auth/request-context";
import { endAllSessions } from "@/lib/auth/sessions";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { getDb } from "@/lib/db/client";

// The signed-in admin's own account: any role may act on itself.

export async function changeOwnPasswordAction(input: unknown) {
  return runAdminAction("VIEWER", ChangeOwnPasswordSchema, input, async (admin, data) => {
    await changeOwnPassword(getDb(), { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, data);
    return { email: admin.email };
  });
}

export async function signOutEverywhereAction(input: unknown) {
  return runAdminAction("VIEWER", z.object({}).strict(), input ?? {}, async (admin) => {
    await endAllSessions(getDb(), { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) });
  });
}
