"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { AuditFilterSchema, timeWindow } from "@/lib/audit/query";
import { RetentionSettingSchema, setAuditRetention } from "@/lib/audit/retention";
import { verifyAuditChain, type ChainVerification } from "@/lib/audit/verify";
import { notifyIntegrityFailure } from "@/lib/notifications/outbox";

const VerifySchema = z.object({ filters: z.record(z.string(), z.string()).default({}) });

/** Re-checks the hash chain over the time range the page shows; reads only, so AUDITOR may run it. */
export async function verifyAuditChainAction(input: unknown) {
  return runEnvironmentAction("AUDITOR", VerifySchema, input, async ({ admin, environment, db }, data): Promise<ChainVerification & { scope: string }> => {
    const filters = AuditFilterSchema.parse(data.filters);
    const result = await verifyAuditChain(db, filters.scope === "account" ? null : environment.id, timeWindow(filters));
    if (!result.ok && filters.scope !== "account") await notifyIntegrityFailure(db, environment.id, result.broken, admin.email);
    return { ...result, scope: filters.scope === "account" ? "the account trail" : `${environment.name}'s trail` };
  });
}

/** Only owners decide how long the trail is kept: shortening it deletes evidence at the next scheduled run. */
export async function setAuditRetentionAction(input: unknown) {
  return runEnvironmentAction("OWNER", RetentionSettingSchema, input, async ({ environment, actor, db }, data) => {
    await setAuditRetention(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/audit`);
    return { days: data.days };
  });
}
