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
import { draftImpact, impactSummary, ImpactWindowSchema, lossSentence } from "@/lib/impact/impact";

const EnvironmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/);

async function context(environmentKey: string, admin: { id: string; email: string }) {
  const environment = await findEnvironment(getDb(), environmentKey);
  if (!environment) throw new DomainError("This environment does not exist.");
  return { environment, actor: { id: admin.id, email: admin.email, ip: clientIpFrom(await headers()) } };
}

const PublishDraftSchema = PublishSchema.extend({
  environment: EnvironmentKeySchema,
  days: ImpactWindowSchema,
  /** The admin saw how many calls would now be refused and publishes anyway. */
  confirmLosses: z.boolean().default(false),
});

export type PublishOutcome =
  | { published: true; version: number }
  | { published: false; confirm: { sentence: string; calls: number; subjects: number; days: number } };

/**
 * Publishes the draft, unless it would refuse calls that the live version
 * allowed in the recent window and the admin has not confirmed that: the
 * replay runs here, on what is actually published, whatever the page showed.
 */
export async function publishConfigAction(input: unknown) {
  return runAdminAction("ADMIN", PublishDraftSchema, input, async (admin, data): Promise<PublishOutcome> => {
    const { environment, actor } = await context(data.environment, admin);
    const impact = await draftImpact(getDb(), environment.id, { days: data.days });
    const sentence = lossSentence(impact);
    if (sentence && !data.confirmLosses) {
      return { published: false, confirm: { sentence, calls: impact.loses.calls, subjects: impact.loses.subjects, days: impact.window.days } };
    }
    const version = await publishConfig(getDb(), actor, environment.id, data, await runtimeSigner(getDb()), {
      impact: { ...impactSummary(impact), confirmedLosses: Boolean(sentence) },
    });
    revalidatePath(`/${data.environment}/config`);
    return { published: true, version: version.version };
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
