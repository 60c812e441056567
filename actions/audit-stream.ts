"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { AuditStreamSettingsSchema, auditStreamStatus, deleteAuditStream, saveAuditStream, withoutEndpoint } from "@/lib/audit-stream/stream";
import { runtimeEncryptionKey } from "@/lib/config/runtime-signer";
import { destinationPolicyFromEnv } from "@/lib/notifications/destination";

const NoFields = z.object({});

/** The stream's lag, polled by the Audit page; reads only, so AUDITOR may see it. */
export async function auditStreamStatusAction(input: unknown) {
  return runEnvironmentAction("AUDITOR", NoFields, input, async ({ environment, db }) => {
    const status = await auditStreamStatus(db, environment.id);
    return status ? withoutEndpoint(status) : null;
  });
}

export async function saveAuditStreamAction(input: unknown) {
  return runEnvironmentAction("ADMIN", AuditStreamSettingsSchema, input, async ({ environment, actor, db }, data) => {
    await saveAuditStream(db, actor, environment.id, data, runtimeEncryptionKey(), destinationPolicyFromEnv());
    revalidatePath(`/${environment.key}/audit`);
  });
}

export async function deleteAuditStreamAction(input: unknown) {
  return runEnvironmentAction("ADMIN", NoFields, input, async ({ environment, actor, db }) => {
    await deleteAuditStream(db, actor, environment.id);
    revalidatePath(`/${environment.key}/audit`);
  });
}
