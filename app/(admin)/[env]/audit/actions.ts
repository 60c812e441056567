"use server";

import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { AuditFilterSchema, timeWindow } from "@/lib/audit/query";
import { verifyAuditChain, type ChainVerification } from "@/lib/audit/verify";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";

const VerifySchema = z.object({
  environment: z.string().regex(/^[a-z0-9-]{1,32}$/),
  filters: z.record(z.string(), z.string()).default({}),
});

/** Re-checks the hash chain over the time range the page shows; reads only, so AUDITOR may run it. */
export async function verifyAuditChainAction(input: unknown) {
  return runAdminAction("AUDITOR", VerifySchema, input, async (_admin, data): Promise<ChainVerification & { scope: string }> => {
    const environment = await findEnvironment(getDb(), data.environment);
    if (!environment) throw new DomainError(`There is no environment "${data.environment}".`);
    const filters = AuditFilterSchema.parse(data.filters);
    const result = await verifyAuditChain(getDb(), filters.scope === "account" ? null : environment.id, timeWindow(filters));
    return { ...result, scope: filters.scope === "account" ? "the account trail" : `${environment.name}'s trail` };
  });
}
