"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { ApprovalSettingsSchema, decideApproval, DecideApprovalSchema, updateApprovalSettings } from "@/lib/approvals/approvals";
import { clientIpFrom } from "@/lib/auth/request-context";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);

async function environmentId(key: string): Promise<string> {
  const environment = await findEnvironment(getDb(), key);
  if (!environment) throw new DomainError("This environment does not exist.");
  return environment.id;
}

/** ADMIN is the floor; decideApproval re-checks the environment's approver role, which may be OWNER. */
export async function decideApprovalAction(input: unknown) {
  return runAdminAction("ADMIN", DecideApprovalSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const ip = clientIpFrom(await headers());
    const decided = await decideApproval(getDb(), { id: admin.id, email: admin.email, ip, role: admin.role }, await environmentId(data.environment), data);
    revalidatePath(`/${data.environment}/approvals`);
    return { id: decided.id, status: decided.status };
  });
}

export async function updateApprovalSettingsAction(input: unknown) {
  return runAdminAction("OWNER", ApprovalSettingsSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const ip = clientIpFrom(await headers());
    const { environment, ...settings } = data;
    const saved = await updateApprovalSettings(getDb(), { id: admin.id, email: admin.email, ip }, await environmentId(environment), settings);
    revalidatePath(`/${environment}/approvals`);
    return saved;
  });
}
