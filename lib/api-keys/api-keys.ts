import "server-only";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { sha256Hex } from "@/sdk/src/contract/canonical-json";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "@/lib/db/availability";
import { isEnvironmentKey } from "@/lib/environments/key";
import { DomainError, NotFoundError } from "@/lib/errors";
import { enqueueNotification } from "@/lib/notifications/outbox";

/**
 * API keys for MCP servers: `wdn_<env>_<selector>_<secret>`. The selector
 * finds the row; only a SHA-256 verifier of the secret is stored, compared in
 * constant time. The whole key is shown once, at creation.
 */
export const API_KEY_PREFIX = "wdn";
const SELECTOR_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export type ApiKeyIdentity = { id: string; environmentId: string; environmentKey: string; serverId: string | null; serverName: string | null; label: string };

function randomSelector(length = 12): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => SELECTOR_ALPHABET[byte % SELECTOR_ALPHABET.length]).join("");
}

export function parseApiKey(token: string): { environment: string; selector: string; secret: string } | null {
  const parts = token.split("_");
  if (parts.length < 4 || parts[0] !== API_KEY_PREFIX) return null;
  const [, environment, selector, ...rest] = parts;
  const secret = rest.join("_");
  if (!environment || !isEnvironmentKey(environment) || !selector || !/^[A-Za-z0-9]{8,32}$/.test(selector) || secret.length < 32) return null;
  return { environment, selector, secret };
}

export const CreateApiKeySchema = z.object({
  label: z.string().trim().min(1, "Give the key a label, e.g. the server and where it runs.").max(120),
  serverId: z.uuid().nullable().default(null),
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(365),
});

export async function createApiKey(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof CreateApiKeySchema>) {
  return db.$transaction(async (tx) => {
    const environment = await tx.environment.findUnique({ where: { id: environmentId } });
    if (!environment) throw new NotFoundError("This environment");
    if (input.serverId) {
      const server = await tx.mcpServer.findFirst({ where: { id: input.serverId, environmentId } });
      if (!server) throw new DomainError("That server is not in this environment.", { serverId: ["Choose a server of this environment."] });
      // Two live keys per server are enough to rotate without downtime; more is usually a forgotten key.
      const live = await tx.apiKey.count({ where: { serverId: input.serverId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] } });
      if (live >= 2) throw new DomainError("This server already has two active keys. Revoke the older one first.");
    }
    const selector = randomSelector();
    const secret = randomBytes(32).toString("base64url");
    const key = await tx.apiKey.create({
      data: {
        environmentId,
        serverId: input.serverId,
        selector,
        verifier: sha256Hex(secret),
        label: input.label,
        createdById: actor.id,
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      },
    });
    await recordAdminEvent(tx, actor, {
      action: "api_key.created",
      target: `api-key:${selector}`,
      environmentId,
      details: { label: input.label, serverId: input.serverId, expiresAt: key.expiresAt?.toISOString() ?? null },
    });
    return { id: key.id, selector, token: `${API_KEY_PREFIX}_${environment.key}_${selector}_${secret}`, expiresAt: key.expiresAt };
  });
}

export const RevokeApiKeySchema = z.object({ id: z.uuid() });

export async function revokeApiKey(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RevokeApiKeySchema>) {
  return db.$transaction(async (tx) => {
    const key = await tx.apiKey.findFirst({ where: { id: input.id, environmentId } });
    if (!key) throw new NotFoundError("This API key");
    if (key.revokedAt) return key;
    const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await recordAdminEvent(tx, actor, { action: "api_key.revoked", target: `api-key:${key.selector}`, environmentId, details: { label: key.label } });
    await enqueueNotification(tx, environmentId, "api_key.revoked", { label: key.label, selector: key.selector, revokedBy: actor.email });
    return revoked;
  });
}

export async function listApiKeys(db: Db, environmentId: string) {
  const keys = await db.apiKey.findMany({
    where: { environmentId },
    orderBy: [{ revokedAt: { sort: "asc", nulls: "first" } }, { createdAt: "desc" }],
    omit: { verifier: true },
    include: { server: { select: { name: true } }, createdBy: { select: { email: true } } },
    take: 200,
  });
  const now = Date.now();
  return keys.map((key) => ({
    id: key.id,
    selector: key.selector,
    label: key.label,
    server: key.server?.name ?? null,
    createdBy: key.createdBy?.email ?? null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    status: key.revokedAt ? ("revoked" as const) : key.expiresAt && key.expiresAt.getTime() <= now ? ("expired" as const) : ("active" as const),
  }));
}

export type KeyCheck = { ok: true; key: ApiKeyIdentity } | { ok: false; status: 401; error: string } | { ok: false; status: 503; error: string; retryAfterSeconds: number };

/**
 * How long a key verified before the database became unreachable keeps
 * working from memory. Config can then be served through an outage of up to
 * this long; a revocation made meanwhile cannot reach the data plane anyway.
 */
export const KEY_OUTAGE_GRACE_MS = 60 * 60_000;

type KeyRow = { identity: ApiKeyIdentity; verifier: string; revokedAt: Date | null; expiresAt: Date | null };
type CacheEntry = { row: KeyRow | null; confirmedAt: number };

const KEY_INCLUDE = { environment: { select: { key: true } }, server: { select: { name: true } } } as const;

function keyRow(found: { id: string; environmentId: string; environment: { key: string }; serverId: string | null; server: { name: string } | null; label: string; verifier: string; revokedAt: Date | null; expiresAt: Date | null }): KeyRow {
  return {
    identity: { id: found.id, environmentId: found.environmentId, environmentKey: found.environment.key, serverId: found.serverId, serverName: found.server?.name ?? null, label: found.label },
    verifier: found.verifier,
    revokedAt: found.revokedAt,
    expiresAt: found.expiresAt,
  };
}

/**
 * Verifies API keys from memory. A key is read from the database once; after
 * that `refresh()` (the data plane's 1 s revision tick) re-reads the state of
 * every key held, so a revocation reaches every instance within a tick while
 * a request costs no database work. Expiry is checked on every request.
 *
 * Without a tick a key is re-read once it is `revalidateAfterMs` old. When the
 * database is unreachable, a key confirmed within `outageGraceMs` keeps
 * working from memory, and a key never seen gets 503 (not 401: it may well be
 * valid). lastUsedAt is written on the first lookup and then at most once per
 * `lastUsedIntervalMs` by the tick, so it is accurate to the minute.
 */
export function createApiKeyVerifier(
  db: Db,
  options: { revalidateAfterMs?: number; unknownTtlMs?: number; outageGraceMs?: number; lastUsedIntervalMs?: number; now?: () => number } = {},
) {
  const revalidateAfterMs = options.revalidateAfterMs ?? 60_000;
  const unknownTtlMs = options.unknownTtlMs ?? 60_000;
  const outageGraceMs = options.outageGraceMs ?? KEY_OUTAGE_GRACE_MS;
  const lastUsedIntervalMs = options.lastUsedIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const used = new Set<string>();
  let lastUsedWrittenAt = now();

  function remember(selector: string, entry: CacheEntry) {
    // The cap bounds memory against guessed selectors; keys that were really verified go last.
    if (cache.size >= 10_000) for (const [known, held] of cache) if (!held.row) cache.delete(known);
    if (cache.size >= 10_000) cache.clear();
    cache.set(selector, entry);
  }

  const lookups = new Map<string, Promise<KeyRow | null | "unavailable">>();

  /** The key's row from memory, or the database when memory has none or too old a one; "unavailable" when it cannot be had. */
  function load(selector: string): Promise<KeyRow | null | "unavailable"> {
    const cached = cache.get(selector);
    const age = cached ? now() - cached.confirmedAt : Infinity;
    if (cached && age < (cached.row ? revalidateAfterMs : unknownTtlMs)) return Promise.resolve(cached.row);
    // A fleet that starts together sends its first polls with one key at
    // once: they share one lookup, rather than a thousand queueing for the
    // pool until they time out as 503s.
    let lookup = lookups.get(selector);
    if (!lookup) {
      lookup = lookUp(selector, cached, age).finally(() => lookups.delete(selector));
      lookups.set(selector, lookup);
    }
    return lookup;
  }

  async function lookUp(selector: string, cached: CacheEntry | undefined, age: number): Promise<KeyRow | null | "unavailable"> {
    let found;
    try {
      found = await db.apiKey.findUnique({ where: { selector }, include: KEY_INCLUDE });
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return cached?.row && age < outageGraceMs ? cached.row : "unavailable";
    }
    const row = found ? keyRow(found) : null;
    // Unknown selectors are remembered too, so guessing cannot hammer the database.
    remember(selector, { row, confirmedAt: now() });
    if (row && !cached?.row) void db.apiKey.update({ where: { id: row.identity.id }, data: { lastUsedAt: new Date(now()) } }).catch(() => undefined);
    return row;
  }

  async function verify(authorization: string | undefined): Promise<KeyCheck> {
    const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) return { ok: false, status: 401, error: "Send the API key as Authorization: Bearer wdn_…" };
    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, status: 401, error: "This is not a Warden API key." };
    const row = await load(parsed.selector);
    if (row === "unavailable") {
      return { ok: false, status: 503, error: `Warden cannot check this API key right now: its database is unreachable. Retry in ${DATABASE_RETRY_AFTER_SECONDS} s.`, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS };
    }
    const presented = Buffer.from(sha256Hex(parsed.secret), "hex");
    const expected = Buffer.from(row?.verifier ?? "0".repeat(64), "hex");
    const matches = timingSafeEqual(presented, expected) && row !== null && row.identity.environmentKey === parsed.environment;
    if (!row || !matches) return { ok: false, status: 401, error: "Unknown API key." };
    if (row.revokedAt) return { ok: false, status: 401, error: "This API key was revoked." };
    if (row.expiresAt && row.expiresAt.getTime() <= now()) return { ok: false, status: 401, error: "This API key has expired." };
    used.add(row.identity.id);
    return { ok: true, key: row.identity };
  }

  /**
   * Re-reads every key held in memory (one indexed query): revoked, expired,
   * re-labelled or deleted keys take effect at once. Throws when the database
   * is unreachable; the keys held then keep working for `outageGraceMs`.
   */
  async function refresh(): Promise<void> {
    const selectors = [...cache].filter(([, entry]) => entry.row).map(([selector]) => selector);
    const startedAt = now();
    if (selectors.length) {
      const rows = await db.apiKey.findMany({ where: { selector: { in: selectors } }, include: KEY_INCLUDE });
      const fresh = new Map(rows.map((found) => [found.selector, keyRow(found)]));
      for (const selector of selectors) {
        const row = fresh.get(selector);
        // A deleted key is forgotten: the next request looks it up (and finds nothing).
        if (row) cache.set(selector, { row, confirmedAt: startedAt });
        else cache.delete(selector);
      }
    }
    for (const [selector, entry] of cache) if (!entry.row && startedAt - entry.confirmedAt >= unknownTtlMs) cache.delete(selector);
    if (used.size && startedAt - lastUsedWrittenAt >= lastUsedIntervalMs) {
      const ids = [...used];
      used.clear();
      lastUsedWrittenAt = startedAt;
      await db.apiKey.updateMany({ where: { id: { in: ids } }, data: { lastUsedAt: new Date(startedAt) } });
    }
  }

  return Object.assign(verify, { refresh });
}

export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>;
