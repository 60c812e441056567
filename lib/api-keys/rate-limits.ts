import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { safeInt } from "@/lib/input/rules";
import { NotFoundError } from "@/lib/errors";

/**
 * How many requests each API key may make, per environment. A config poll
 * answered 304 costs no database work, so the limit is sized for fleets, not
 * for the database: it is there to stop a runaway loop or a stolen key.
 *
 * The defaults, for one server's fleet of 2,000 instances sharing one key:
 * - polls: one per 10–20 s each, so up to 200/s;
 * - audit batches: one per 5 s each when busy (the SDK's flush interval), so up to 400/s;
 * - together about 600/s; 1,000/s sustained leaves two-thirds again as headroom;
 * - the burst of 4,000 absorbs the whole fleet restarting at once (every
 *   instance polls within the SDK's first 2 s, and fetches a 200) twice over.
 * A key in a tight loop makes several thousand requests a second and is
 * answered 429 with Retry-After, which the SDK honours.
 *
 * Each data-plane instance keeps its own buckets in memory (no database round
 * trip per request), so with N instances behind a load balancer a key gets up
 * to N times these numbers in total.
 */
export const DEFAULT_API_KEY_RATE = { perSecond: 1_000, burst: 4_000 } as const;

export type ApiKeyRateLimit = { perSecond: number; burst: number };

export const ApiKeyRateLimitSchema = z
  .object({
    perSecond: z.coerce.number({ error: "Enter a whole number" }).pipe(safeInt().min(1, "At least 1 request per second").max(1_000_000, "At most 1,000,000 requests per second")),
    burst: z.coerce.number({ error: "Enter a whole number" }).pipe(safeInt().min(1, "At least 1 request").max(10_000_000, "At most 10,000,000 requests")),
  })
  .refine((limit) => limit.burst >= limit.perSecond, {
    path: ["burst"],
    message: "The burst must be at least one second's worth of requests",
    // Only once both numbers are valid: one message per field, the one that matters.
    when: (payload) => payload.issues.length === 0,
  });

export async function getApiKeyRateLimit(db: Db, environmentId: string): Promise<ApiKeyRateLimit> {
  const row = await db.environment.findUnique({ where: { id: environmentId }, select: { apiKeyRatePerSecond: true, apiKeyRateBurst: true } });
  if (!row) throw new NotFoundError("This environment");
  return { perSecond: row.apiKeyRatePerSecond, burst: row.apiKeyRateBurst };
}

/** OWNER only (the caller checks). Every data-plane instance applies it within its refresh tick. */
export async function updateApiKeyRateLimit(db: Db, actor: AuditActor, environmentId: string, input: ApiKeyRateLimit): Promise<ApiKeyRateLimit> {
  return db.$transaction(async (tx) => {
    const before = await tx.environment.findUnique({ where: { id: environmentId }, select: { apiKeyRatePerSecond: true, apiKeyRateBurst: true } });
    if (!before) throw new NotFoundError("This environment");
    await tx.environment.update({ where: { id: environmentId }, data: { apiKeyRatePerSecond: input.perSecond, apiKeyRateBurst: input.burst } });
    await recordAdminEvent(tx, actor, {
      action: "environment.api_key_rate_limit",
      environmentId,
      details: { before: { perSecond: before.apiKeyRatePerSecond, burst: before.apiKeyRateBurst }, after: input },
    });
    return input;
  });
}

/** Every environment's limit, for the data plane's refresh tick: one small query. */
export async function loadApiKeyRateLimits(db: Db): Promise<Map<string, ApiKeyRateLimit>> {
  const rows = await db.environment.findMany({ select: { id: true, apiKeyRatePerSecond: true, apiKeyRateBurst: true } });
  return new Map(rows.map((row) => [row.id, { perSecond: row.apiKeyRatePerSecond, burst: row.apiKeyRateBurst }]));
}
