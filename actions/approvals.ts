"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { ApprovalSettingsSchema, decideApproval, DecideApprovalSchema, updateApprovalSettings } from "@/lib/approvals/approval-requests";

/** ADMIN is the floor; decideApproval re-checks the environment's approver role, which may be OWNER. */
export async function decideApprovalAction(input: unknown) {
  return runEnvironmentAction("ADMIN", DecideApprovalSchema, input, async ({ admin, environment, actor, db }, data) => {
    const decided = await decideApproval(db, { ...actor, role: admin.role }, environment.id, data);
    revalidatePath(`/${environment.key}/approvals`);
    return { id: decided.id, status: decided.status };
  });
}

export async function updateApprovalSettingsAction(input: unknown) {
  return runEnvironmentAction("OWNER", ApprovalSettingsSchema, input, async ({ environment, actor, db }, settings) => {
    const saved = await updateApprovalSettings(db, actor, environment.id, settings);
    revalidatePath(`/${environment.key}/approvals`);
    return saved;
  });
}
