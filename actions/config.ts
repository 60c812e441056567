"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { runEnvironmentAction } from "@/lib/actions/run-environment-action";
import { createApiKey, CreateApiKeySchema, revokeApiKey, RevokeApiKeySchema } from "@/lib/api-keys/api-keys";
import { ApiKeyRateLimitSchema, updateApiKeyRateLimit } from "@/lib/api-keys/rate-limits";
import { publishConfig, PublishSchema, rollbackConfig, RollbackSchema } from "@/lib/config/publish";
import { runtimeSigner } from "@/lib/config/runtime-signer";
import { draftImpact, impactSummary, ImpactWindowSchema, lossSentence } from "@/lib/impact/impact";

const PublishDraftSchema = PublishSchema.extend({
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
  return runEnvironmentAction("ADMIN", PublishDraftSchema, input, async ({ environment, actor, db }, data): Promise<PublishOutcome> => {
    const impact = await draftImpact(db, environment.id, { days: data.days });
    const sentence = lossSentence(impact);
    if (sentence && !data.confirmLosses) {
      return { published: false, confirm: { sentence, calls: impact.loses.calls, subjects: impact.loses.subjects, days: impact.window.days } };
    }
    const version = await publishConfig(db, actor, environment.id, data, await runtimeSigner(db), {
      impact: { ...impactSummary(impact), confirmedLosses: Boolean(sentence) },
    });
    revalidatePath(`/${environment.key}/config`);
    return { published: true, version: version.version };
  });
}

export async function rollbackConfigAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RollbackSchema, input, async ({ environment, actor, db }, data) => {
    const version = await rollbackConfig(db, actor, environment.id, data, await runtimeSigner(db));
    revalidatePath(`/${environment.key}/config`);
    return { version: version.version };
  });
}

export async function createApiKeyAction(input: unknown) {
  return runEnvironmentAction("ADMIN", CreateApiKeySchema, input, async ({ environment, actor, db }, data) => {
    const created = await createApiKey(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/config/keys`);
    // The only time the secret leaves the server.
    return { token: created.token, selector: created.selector };
  });
}

export async function revokeApiKeyAction(input: unknown) {
  return runEnvironmentAction("ADMIN", RevokeApiKeySchema, input, async ({ environment, actor, db }, data) => {
    await revokeApiKey(db, actor, environment.id, data);
    revalidatePath(`/${environment.key}/config/keys`);
  });
}

export async function updateApiKeyRateLimitAction(input: unknown) {
  return runEnvironmentAction("OWNER", ApiKeyRateLimitSchema, input, async ({ environment, actor, db }, data) => {
    const saved = await updateApiKeyRateLimit(db, actor, environment.id, { perSecond: data.perSecond, burst: data.burst });
    revalidatePath(`/${environment.key}/config/keys`);
    return saved;
  });
}
