"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { AuditStreamSettingsSchema, auditStreamStatus, deleteAuditStream, saveAuditStream, withoutEndpoint } from "@/lib/audit-stream/stream";
import { clientIpFrom } from "@/lib/auth/request-context";
import { runtimeEncryptionKey } from "@/lib/config/runtime";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";
import { destinationPolicyFromEnv } from "@/lib/notifications/destination";

const EnvironmentSchema = z.object({ environment: z.string().regex(/^[a-z0-9-]{1,32}$/) });

async function environmentOf(key: string) {
  const environment = await findEnvironment(getDb(), key);
  if (!environment) throw new DomainError(`There is no environment "${key}".`);
  return environment;
}

/** The stream's lag, polled by the Audit page; reads only, so AUDITOR may see it. */
export async function auditStreamStatusAction(input: unknown) {
  return runAdminAction("AUDITOR", EnvironmentSchema, input, async (_admin, data) => {
    const status = await auditStreamStatus(getDb(), (await environmentOf(data.environment)).id);
    return status ? withoutEndpoint(status) : null;
  });
}

export async function saveAuditStreamAction(input: unknown) {
  return runAdminAction("ADMIN", AuditStreamSettingsSchema.extend(EnvironmentSchema.shape), input, async (admin, data) => {
    const environment = await environmentOf(data.environment);
    await saveAuditStream(getDb(), { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, environment.id, data, runtimeEncryptionKey(), destinationPolicyFromEnv());
    revalidatePath(`/${data.environment}/audit`);
  });
}

export async function deleteAuditStreamAction(input: unknown) {
  return runAdminAction("ADMIN", EnvironmentSchema, input, async (admin, data) => {
    const environment = await environmentOf(data.environment);
    await deleteAuditStream(getDb(), { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) }, environment.id);
    revalidatePath(`/${data.environment}/audit`);
  });
}
