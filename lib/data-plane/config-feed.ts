import "server-only";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { CompactSign } from "jose";
import type { Db } from "@/lib/db/client";
import { type Signer } from "@/lib/config/signing-keys";
import { storedConfig } from "@/lib/config/snapshot";
import { isDatabaseUnavailable } from "@/lib/db/availability";
import { CONFIG_SIGNATURE_ALGORITHM, CONFIG_SIGNATURE_TYPE, configClaims, configContentHash, configDocument, type PublishedConfig } from "@/sdk/src/contract/config-document";

/** One environment's latest published version, as held in memory. */
export type LiveEntry = { environmentId: string; environmentKey: string; version: number; contentHash: string; config: PublishedConfig };

/** A content coding the data plane can send a config document in. */
export type ContentCoding = "identity" | "gzip" | "br";

/**
 * What GET /api/v1/config sends for one (version, server): computed once,
 * signed, compressed in each coding once, and reused. Every coding carries
 * the same ETag: they are the same document, and If-None-Match compares
 * weakly anyway.
 */
export type ConfigDocument = { etag: string; version: number; bodies: Record<ContentCoding, Buffer> };

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Both codings at their best ratio: the cost is paid once per document, the saving on every 200 (off the event loop, in zlib's threads). */
async function compressed(body: Buffer): Promise<Record<ContentCoding, Buffer>> {
  const [gz, br] = await Promise.all([
    gzipAsync(body, { level: 9 }),
    brotli(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  ]);
  return { identity: body, gzip: gz, br };
}

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
  // A fleet asking at once for a document not built yet waits for one build.
  const building = new Map<string, Promise<ConfigDocument>>();
  // The signer last loaded: a document can still be built (a server not asked
  // for before, a re-sign) while the database is unreachable.
  let lastSigner: Signer | null = null;

  async function currentSigner(): Promise<Signer> {
    try {
      lastSigner = await signer();
    } catch (error) {
      if (!lastSigner || !isDatabaseUnavailable(error)) throw error;
    }
    return lastSigner;
  }

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
        config: storedConfig(row.snapshot),
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
    let pending = building.get(cacheKey);
    if (!pending) {
      pending = build(entry, server, cacheKey).finally(() => building.delete(cacheKey));
      building.set(cacheKey, pending);
    }
    return pending;
  }

  async function build(entry: LiveEntry, server: string | null, cacheKey: string): Promise<ConfigDocument> {
    const environmentId = entry.environmentId;
    const config = configForServer(entry.config, server);
    const contentHash = configContentHash(config);
    const issuedAt = new Date(now());
    const expiresAt = new Date(now() + SIGNATURE_LIFETIME_MS);
    const claims = configClaims({ environment: entry.environmentKey, server, version: entry.version, contentHash, issuedAt: issuedAt.toISOString(), expiresAt: expiresAt.toISOString() });
    const key = await currentSigner();
    const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: CONFIG_SIGNATURE_ALGORITHM, kid: key.kid, typ: CONFIG_SIGNATURE_TYPE })
      .sign(key.privateKey);
    const bodies = await compressed(Buffer.from(JSON.stringify(configDocument(claims, config, signature))));
    // The design's "<contentHash>:<version>", plus when it was signed: a re-signed
    // document (same content, later expiry) must reach servers that hold the old one.
    const fresh = { etag: `"${contentHash}:${entry.version}:${Math.floor(issuedAt.getTime() / 1000)}"`, bodies, version: entry.version, signedAt: now() };
    for (const staleKey of documents.keys()) if (staleKey.startsWith(`${environmentId}|`) && !staleKey.startsWith(`${environmentId}|${entry.version}|`)) documents.delete(staleKey);
    // A newer version may have gone live while this one was built: it is then served once and not kept.
    if (live.get(environmentId)?.version === entry.version) documents.set(cacheKey, fresh);
    return fresh;
  }

  /** The ETag a poll would get right now, from memory only; null when nothing is cached yet. */
  function currentEtag(environmentId: string, server: string | null): string | null {
    const entry = live.get(environmentId);
    if (!entry) return null;
    return documents.get(`${environmentId}|${entry.version}|${server ?? "*"}`)?.etag ?? null;
  }

  return {
    refresh,
    document,
    currentEtag,
    hasConfig: () => live.size > 0,
    serverNames: (environmentId: string) => live.get(environmentId)?.config.servers.map((entry) => entry.name) ?? null,
    /** The latest published config of an environment, from memory (token exchange decides against it). */
    live: (environmentId: string): LiveEntry | null => live.get(environmentId) ?? null,
    liveByKey: (environmentKey: string): LiveEntry | null => [...live.values()].find((entry) => entry.environmentKey === environmentKey) ?? null,
  };
}

export type ConfigFeed = ReturnType<typeof createConfigFeed>;
