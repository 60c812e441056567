"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { clientIpFrom } from "@/lib/auth/request-context";
import { RetentionSettingSchema, setAuditRetention } from "@/lib/audit/retention";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { AuditFilterSchema, timeWindow } from "@/lib/audit/query";
import { verifyAuditChain, type ChainVerification } from "@/lib/audit/verify";
import { getDb } from "@/lib/db/client";
import { notifyIntegrityFailure } from "@/lib/notifications/outbox";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";

const VerifySchema = z.object({
  environment: z.string().regex(/^[a-z0-9-]{1,32}$/),
  filters: z.record(z.string(), z.string()).default({}),
});

/** Re-checks the hash chain over the time range the page shows; reads only, so AUDITOR may run it. */
export async function verifyAuditChainAction(input: unknown) {
  return runAdminAction("AUDITOR", VerifySchema, input, async (admin, data): Promise<ChainVerification & { scope: string }> => {
    const environment = await findEnvironment(getDb(), data.environment);
    if (!environment) throw new DomainError(`There is no environment "${data.environment}".`);
    const filters = AuditFilterSchema.parse(data.filters);
    const result = await verifyAuditChain(getDb(), filters.scope === "account" ? null : environment.id, timeWindow(filters));
    if (!result.ok && filters.scope !== "account") await notifyIntegrityFailure(getDb(), environment.id, result.broken, admin.email);
    return { ...result, scope: filters.scope === "account" ? "the account trail" : `${environment.name}'s trail` };
  });
}

/** Only owners decide how long the trail is kept: shortening it deletes evidence at the next scheduled run. */
export async function setAuditRetentionAction(input: unknown) {
  return runAdminAction("OWNER", RetentionSettingSchema.extend({ environment: z.string().regex(/^[a-z0-9-]{1,32}$/) }), input, async (admin, data) => {
    const environment = await findEnvironment(getDb(), data.environment);
    if (!environment) throw new DomainError(`There is no environment "${data.environment}".`);
    await setAuditRetention(getDb(), { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, environment.id, data);
    revalidatePath(`/${data.environment}/audit`);
    return { days: data.days };
  });
}
