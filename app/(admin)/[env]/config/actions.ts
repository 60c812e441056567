"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runAdminAction } from "@/lib/actions/run-admin-action";
import { clientIpFrom } from "@/lib/auth/request-context";
import { createApiKey, CreateApiKeySchema, revokeApiKey, RevokeApiKeySchema } from "@/lib/api-keys/api-keys";
import { ApiKeyRateLimitSchema, updateApiKeyRateLimit } from "@/lib/api-keys/rate-limits";
import { publishConfig, PublishSchema, rollbackConfig, RollbackSchema } from "@/lib/config/publish";
import { runtimeSigner } from "@/lib/config/runtime";
import { getDb } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findEnvironment } from "@/lib/environments/environments";

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);

async function context(environmentKey: string, admin: { id: string; email: string }) {
  const environment = await findEnvironment(getDb(), environmentKey);
  if (!environment) throw new DomainError("This environment does not exist.");
  return { environment, actor: { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) } };
}

export async function publishConfigAction(input: unknown) {
  return runAdminAction("ADMIN", PublishSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const version = await publishConfig(getDb(), actor, environment.id, data, await runtimeSigner(getDb()));
    revalidatePath(`/${data.environment}/config`);
    return { version: version.version };
  });
}

export async function rollbackConfigAction(input: unknown) {
  return runAdminAction("ADMIN", RollbackSchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const version = await rollbackConfig(getDb(), actor, environment.id, data, await runtimeSigner(getDb()));
    revalidatePath(`/${data.environment}/config`);
    return { version: version.version };
  });
}

export async function createApiKeyAction(input: unknown) {
  return runAdminAction("ADMIN", CreateApiKeySchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const created = await createApiKey(getDb(), actor, environment.id, data);
    revalidatePath(`/${data.environment}/config/keys`);
    // The only time the secret leaves the server.
    return { token: created.token, selector: created.selector };
  });
}

export async function revokeApiKeyAction(input: unknown) {
  return runAdminAction("ADMIN", RevokeApiKeySchema.extend({ environment: EnvironmentKeySchema }), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    await revokeApiKey(getDb(), actor, environment.id, data);
    revalidatePath(`/${data.environment}/config/keys`);
  });
}

export async function updateApiKeyRateLimitAction(input: unknown) {
  return runAdminAction("OWNER", ApiKeyRateLimitSchema.and(z.object({ environment: EnvironmentKeySchema })), input, async (admin, data) => {
    const { environment, actor } = await context(data.environment, admin);
    const saved = await updateApiKeyRateLimit(getDb(), actor, environment.id, { perSecond: data.perSecond, burst: data.burst });
    revalidatePath(`/${data.environment}/config/keys`);
    return saved;
  });
}
