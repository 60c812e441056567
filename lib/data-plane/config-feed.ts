import { CompactSign } from "jose";
import type { Db } from "@/lib/db/client";
import { canonicalJson, sha256Hex } from "@/lib/crypto/canonical-json";
import { SIGNING_ALGORITHM, type Signer } from "@/lib/config/signing-keys";
import type { PublishedConfig } from "@/lib/config/snapshot";

/** One environment's latest published version, as held in memory. */
type LiveEntry = { environmentId: string; environmentKey: string; version: number; contentHash: string; config: PublishedConfig };

/** What GET /api/v1/config sends for one (version, server): computed once, signed, and reused. */
export type ConfigDocument = { etag: string; body: string; version: number };

export const SIGNATURE_LIFETIME_MS = 24 * 60 * 60_000;

/** The published config narrowed to one server: its own entry, tools and the grants on them. */
export function configForServer(config: PublishedConfig, server: string | null): PublishedConfig {
  if (server === null) return config;
  return {
    ...config,
    servers: config.servers.filter((entry) => entry.name === server),
    policy: {
      ...config.policy,
      tools: config.policy.tools.filter((tool) => tool.server === server),
      grants: config.policy.grants.filter((grant) => grant.server === server),
    },
  };
}

/**
 * The data plane's view of published config. The latest version of every
 * environment lives in memory and is refreshed by a cheap revision query on a
 * short tick, so a poll whose ETag matches is answered with no database work
 * at all, on every instance, and a new version reaches all instances within
 * about a tick.
 */
export function createConfigFeed(db: Db, signer: () => Promise<Signer>, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const live = new Map<string, LiveEntry>();
  const documents = new Map<string, ConfigDocument & { signedAt: number }>();

  async function refresh(): Promise<void> {
    const heads = await db.$queryRaw<{ environmentId: string; version: number }[]>`
      SELECT "environmentId", MAX("version") AS "version" FROM "ConfigVersion" GROUP BY "environmentId"`;
    for (const head of heads) {
      if (live.get(head.environmentId)?.version === Number(head.version)) continue;
      const row = await db.configVersion.findUnique({
        where: { environmentId_version: { environmentId: head.environmentId, version: Number(head.version) } },
        include: { environment: { select: { key: true } } },
      });
      if (!row) continue;
      live.set(head.environmentId, {
        environmentId: row.environmentId,
        environmentKey: row.environment.key,
        version: row.version,
        contentHash: row.contentHash,
        config: row.snapshot as unknown as PublishedConfig,
      });
    }
  }

  /** The document for an environment (and optionally one server), or null when nothing is published. */
  async function document(environmentId: string, server: string | null): Promise<ConfigDocument | null> {
    const entry = live.get(environmentId);
    if (!entry) return null;
    const cacheKey = `${environmentId}|${entry.version}|${server ?? "*"}`;
    const cached = documents.get(cacheKey);
    // Re-sign at half the signature's lifetime, so a quiet environment's config never expires at the servers.
    if (cached && now() - cached.signedAt < SIGNATURE_LIFETIME_MS / 2) return cached;
    const config = configForServer(entry.config, server);
    const contentHash = `sha256:${sha256Hex(canonicalJson(config))}`;
    const issuedAt = new Date(now());
    const expiresAt = new Date(now() + SIGNATURE_LIFETIME_MS);
    const claims = { environment: entry.environmentKey, server, version: entry.version, contentHash, issuedAt: issuedAt.toISOString(), expiresAt: expiresAt.toISOString() };
    const key = await signer();
    const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: "warden-config+jws" })
      .sign(key.privateKey);
    const body = JSON.stringify({ schemaVersion: 1, ...claims, config, signature });
    // The design's "<contentHash>:<version>", plus when it was signed: a re-signed
    // document (same content, later expiry) must reach servers that hold the old one.
    const fresh = { etag: `"${contentHash}:${entry.version}:${Math.floor(issuedAt.getTime() / 1000)}"`, body, version: entry.version, signedAt: now() };
    for (const staleKey of documents.keys()) if (staleKey.startsWith(`${environmentId}|`) && !staleKey.startsWith(`${environmentId}|${entry.version}|`)) documents.delete(staleKey);
    documents.set(cacheKey, fresh);
    return fresh;
  }

  /** The ETag a poll would get right now, from memory only; null when nothing is cached yet. */
  function currentEtag(environmentId: string, server: string | null): string | null {
    const entry = live.get(environmentId);
    if (!entry) return null;
    return documents.get(`${environmentId}|${entry.version}|${server ?? "*"}`)?.etag ?? null;
  }

  return { refresh, document, currentEtag, serverNames: (environmentId: string) => live.get(environmentId)?.config.servers.map((entry) => entry.name) ?? null };
}

export type ConfigFeed = ReturnType<typeof createConfigFeed>;
