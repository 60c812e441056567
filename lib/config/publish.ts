import "server-only";
import { CompactSign } from "jose";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError } from "@/lib/errors";
import { SIGNING_ALGORITHM, type Signer } from "./signing-keys";
import { buildPublishedConfig, configContentHash, diffConfigs, isEmptyDiff, storedConfig, type ConfigDiff, type PublishedConfig } from "./snapshot";
import { enqueueNotification } from "@/lib/notifications/outbox";

export const PublishSchema = z.object({ note: z.string().trim().max(1_000).optional() });
export const RollbackSchema = z.object({ toVersion: z.number().int().min(1), note: z.string().trim().max(1_000).optional() });

export type LiveVersion = { version: number; contentHash: string; publishedAt: Date; note: string | null };

/**
 * The JWS type of a publication record. It used to be the config document's
 * own type, so a record (no server, no expiry) was one claims check away from
 * passing for a config document; MCP servers verify only the data plane's
 * signature, which has that type to itself now.
 */
export const PUBLICATION_SIGNATURE_TYPE = "warden-publication+jws";

/** A detached statement of what was published, kept with the version: verifiable with the key set, without the content. */
async function attest(signer: Signer, claims: { environment: string; version: number; contentHash: string; publishedAt: string }): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signer.kid, typ: PUBLICATION_SIGNATURE_TYPE }).sign(signer.privateKey);
}

async function appendVersion(
  db: Db,
  actor: AuditActor,
  environmentId: string,
  config: PublishedConfig,
  signer: Signer,
  meta: { note: string | null; action: string; details?: Record<string, unknown> },
) {
  const contentHash = configContentHash(config);
  return db.$transaction(async (tx) => {
    // One publisher at a time per environment: versions are gap-free and monotonic.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`config:${environmentId}`}))`;
    const latest = await tx.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" } });
    if (latest?.contentHash === contentHash) {
      throw new DomainError(`Nothing to publish: version ${latest.version} already has exactly this configuration.`);
    }
    const version = (latest?.version ?? 0) + 1;
    const publishedAt = new Date();
    const signature = await attest(signer, { environment: config.environment, version, contentHash, publishedAt: publishedAt.toISOString() });
    const row = await tx.configVersion.create({
      data: {
        environmentId,
        version,
        contentHash,
        snapshot: config as unknown as Prisma.InputJsonValue,
        signature,
        keyId: signer.kid,
        publishedById: actor.id,
        publishedAt,
        note: meta.note,
      },
    });
    const diff = diffConfigs(latest ? storedConfig(latest.snapshot) : null, config);
    await recordAdminEvent(tx, actor, {
      action: meta.action,
      target: `config:${config.environment}:v${version}`,
      environmentId,
      details: { version, contentHash, note: meta.note, changes: summarise(diff), ...meta.details },
    });
    await enqueueNotification(tx, environmentId, "config.published", { version, contentHash, note: meta.note, publishedBy: actor.email, rollbackTo: meta.details?.rolledBackTo ?? null });
    return row;
  });
}

function summarise(diff: ConfigDiff) {
  return Object.fromEntries(
    Object.entries(diff)
      .filter(([, section]) => section.added.length || section.removed.length || section.changed.length)
      .map(([name, section]) => [name, { added: section.added.length, removed: section.removed.length, changed: section.changed.length }]),
  );
}

/** Publishes the draft as the next immutable, signed version. */
export async function publishConfig(
  db: Db,
  actor: AuditActor,
  environmentId: string,
  input: z.infer<typeof PublishSchema>,
  signer: Signer,
  /** Recorded with the version's audit event (the impact the admin confirmed, say). */
  details?: Record<string, unknown>,
) {
  const config = await buildPublishedConfig(db, environmentId);
  return appendVersion(db, actor, environmentId, config, signer, { note: input.note || null, action: "config.published", details });
}

/** Publishes an older version's content again, as a new and higher version: history is never rewritten. */
export async function rollbackConfig(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof RollbackSchema>, signer: Signer) {
  const target = await db.configVersion.findUnique({ where: { environmentId_version: { environmentId, version: input.toVersion } } });
  if (!target) throw new NotFoundError(`Version ${input.toVersion}`);
  return appendVersion(db, actor, environmentId, storedConfig(target.snapshot), signer, {
    note: input.note || `Rollback to version ${input.toVersion}`,
    action: "config.rolled_back",
    details: { rolledBackTo: input.toVersion },
  });
}

export async function liveVersion(db: Db, environmentId: string): Promise<LiveVersion | null> {
  return db.configVersion.findFirst({
    where: { environmentId },
    orderBy: { version: "desc" },
    select: { version: true, contentHash: true, publishedAt: true, note: true },
  });
}

/** A tool the draft enables but publishing leaves out, and why, so the admin can act on it. */
export type HeldBackTool = { id: string; serverId: string; server: string; name: string; reason: "changed_since_approval"; grants: number };

/**
 * Enabled tools whose live definition is not the approved one: publishing
 * leaves them and their grants out (agents get unknown_tool), which the diff
 * alone shows only as disappearing tools and grants.
 */
export async function heldBackTools(db: Db, environmentId: string): Promise<HeldBackTool[]> {
  const tools = await db.tool.findMany({
    where: {
      enabled: true,
      server: { environmentId },
      definitionHash: { not: null },
      OR: [{ approvedHash: null }, { NOT: { definitionHash: { equals: db.tool.fields.approvedHash } } }],
    },
    orderBy: [{ server: { name: "asc" } }, { name: "asc" }],
    select: { id: true, serverId: true, name: true, server: { select: { name: true } }, _count: { select: { grants: true } } },
  });
  return tools.map((tool) => ({ id: tool.id, serverId: tool.serverId, server: tool.server.name, name: tool.name, reason: "changed_since_approval", grants: tool._count.grants }));
}

/** Whether the draft differs from what is live, and how. */
export async function draftStatus(db: Db, environmentId: string) {
  const [draft, live, heldBack] = await Promise.all([
    buildPublishedConfig(db, environmentId),
    db.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" } }),
    heldBackTools(db, environmentId),
  ]);
  const diff = diffConfigs(live ? storedConfig(live.snapshot) : null, draft);
  return {
    live: live ? { version: live.version, contentHash: live.contentHash, publishedAt: live.publishedAt } : null,
    draftHash: configContentHash(draft),
    unpublished: !live || live.contentHash !== configContentHash(draft),
    diff,
    empty: isEmptyDiff(diff),
    heldBack,
  };
}

export async function getConfigVersion(db: Db, environmentId: string, version: number) {
  const row = await db.configVersion.findUnique({ where: { environmentId_version: { environmentId, version } }, include: { publishedBy: { select: { email: true } } } });
  if (!row) throw new NotFoundError(`Version ${version}`);
  return { ...row, snapshot: storedConfig(row.snapshot) };
}

export const VersionListQuerySchema = z.object({
  ...pagingFields(10),
  sort: z.enum(["version"]).catch("version"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
});

export type VersionRow = { version: number; contentHash: string; publishedAt: string; publishedBy: string | null; note: string | null; keyId: string };

export async function listConfigVersions(db: Db, environmentId: string, query: z.infer<typeof VersionListQuerySchema>) {
  const [rows, total] = await db.$transaction([
    db.configVersion.findMany({
      where: { environmentId },
      orderBy: { version: query.dir },
      skip: (query.page - 1) * query.size,
      take: query.size,
      select: { version: true, contentHash: true, publishedAt: true, note: true, keyId: true, publishedBy: { select: { email: true } } },
    }),
    db.configVersion.count({ where: { environmentId } }),
  ]);
  return {
    total,
    rows: rows.map((row): VersionRow => ({
      version: row.version,
      contentHash: row.contentHash,
      publishedAt: row.publishedAt.toISOString(),
      publishedBy: row.publishedBy?.email ?? null,
      note: row.note,
      keyId: row.keyId,
    })),
  };
}
