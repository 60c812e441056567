import "server-only";
import { z } from "zod";
import { chainsOf, recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { encryptSecret } from "@/lib/crypto/encryption";
import type { Db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { safeString } from "@/lib/input/rules";
import { checkDestination, destinationUrlProblem, type DestinationPolicy } from "@/lib/notifications/destination";
import { redactUrl } from "@/lib/notifications/webhooks";

/** Per environment: where its audit events are streamed (an OTLP/HTTP logs endpoint), and how far the stream got. */

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

export const AuditStreamSettingsSchema = z.object({
  endpoint: safeString()
    .trim()
    .min(1, "Enter the collector's OTLP/HTTP logs URL")
    .max(2_048)
    .superRefine((value, ctx) => {
      const problem = destinationUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  encoding: z.enum(["JSON", "PROTOBUF"]).default("JSON"),
  enabled: z.boolean().default(true),
  /** "Name: value" lines, e.g. an API key the collector wants; stored encrypted, never shown again. Absent: keep the stored ones. */
  headers: safeString()
    .max(4_000)
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      for (const line of value.split("\n").map((part) => part.trim()).filter(Boolean)) {
        const [name] = line.split(":");
        if (!line.includes(":") || !HEADER_NAME.test(name!.trim())) ctx.addIssue({ code: "custom", message: `"${line.split(":")[0]}" is not a header line: write one "Name: value" per line` });
      }
    }),
  /** Start from now instead of from the oldest stored event (only when the stream is first set up). */
  startAt: z.enum(["beginning", "now"]).default("beginning"),
});

export function parseHeaderLines(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of value.split("\n").map((part) => part.trim()).filter(Boolean)) {
    const index = line.indexOf(":");
    headers[line.slice(0, index).trim().toLowerCase()] = line.slice(index + 1).trim();
  }
  return headers;
}

/** The position of every chain (lane) of an environment right now: streaming "from now" starts there. */
async function headsOf(db: Db, environmentId: string): Promise<Record<string, string>> {
  const rows = await db.$queryRawUnsafe<{ chain: string; seq: string }[]>(
    `SELECT c AS "chain", COALESCE((SELECT MAX("seq") FROM "AuditEvent" WHERE "chain" = c), 0)::text AS "seq" FROM unnest($1::text[]) AS c`,
    chainsOf(environmentId),
  );
  return Object.fromEntries(rows.map((row) => [row.chain, row.seq]));
}

/** ADMIN and above (the caller checks). */
export async function saveAuditStream(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof AuditStreamSettingsSchema>, key: Buffer, policy: DestinationPolicy) {
  const problem = await checkDestination(input.endpoint, policy);
  if (problem) throw new DomainError(problem, { endpoint: [problem] });
  const existing = await db.auditStream.findUnique({ where: { environmentId } });
  const cursor = existing ? undefined : input.startAt === "now" ? await headsOf(db, environmentId) : {};
  const headersEncrypted = input.headers === undefined ? undefined : input.headers.trim() ? encryptSecret(JSON.stringify(parseHeaderLines(input.headers)), key) : null;
  await db.$transaction(async (tx) => {
    await tx.auditStream.upsert({
      where: { environmentId },
      create: { environmentId, endpoint: input.endpoint, encoding: input.encoding, enabled: input.enabled, cursor: cursor ?? {}, headersEncrypted: headersEncrypted ?? null },
      update: { endpoint: input.endpoint, encoding: input.encoding, enabled: input.enabled, ...(headersEncrypted !== undefined ? { headersEncrypted } : {}), lastError: null },
    });
    await recordAdminEvent(tx, actor, {
      action: existing ? "audit_stream.updated" : "audit_stream.created",
      target: "audit-stream",
      environmentId,
      // Header values (collector keys) are never written to the trail.
      details: { endpoint: redactUrl(input.endpoint), encoding: input.encoding, enabled: input.enabled, headersChanged: input.headers !== undefined, ...(existing ? {} : { startAt: input.startAt }) },
    });
  });
}

export async function deleteAuditStream(db: Db, actor: AuditActor, environmentId: string) {
  await db.$transaction(async (tx) => {
    const removed = await tx.auditStream.deleteMany({ where: { environmentId } });
    if (removed.count === 0) throw new DomainError("This environment does not stream its audit events.");
    await recordAdminEvent(tx, actor, { action: "audit_stream.deleted", target: "audit-stream", environmentId });
  });
}

const LAG_COUNT_CAP = 100_000;

/** The stream's settings (headers withheld) and its lag: events stored but not yet delivered, and how old the oldest of them is. */
export async function auditStreamStatus(db: Db, environmentId: string, now = new Date()) {
  const stream = await db.auditStream.findUnique({ where: { environmentId } });
  if (!stream) return null;
  const cursor = (stream.cursor ?? {}) as Record<string, string>;
  const chains = chainsOf(environmentId);
  const [lag] = await db.$queryRawUnsafe<{ behind: number; oldest: Date | null }[]>(
    `SELECT count(*)::int AS "behind", min(e."ts") AS "oldest" FROM (
       SELECT e."ts" FROM unnest($1::text[], $2::bigint[]) AS c("chain", "after")
       CROSS JOIN LATERAL (SELECT "receivedAt" AS "ts" FROM "AuditEvent" WHERE "chain" = c."chain" AND "seq" > c."after" ORDER BY "seq" LIMIT ${LAG_COUNT_CAP}) e
     ) e`,
    chains,
    chains.map((chain) => cursor[chain] ?? "0"),
  );
  return {
    endpoint: redactUrl(stream.endpoint),
    endpointFull: stream.endpoint,
    encoding: stream.encoding,
    enabled: stream.enabled,
    hasHeaders: Boolean(stream.headersEncrypted),
    streamedCount: Number(stream.streamedCount),
    lastSuccessAt: stream.lastSuccessAt?.toISOString() ?? null,
    lastAttemptAt: stream.lastAttemptAt?.toISOString() ?? null,
    lastError: stream.lastError,
    behind: lag?.behind ?? 0,
    behindCapped: (lag?.behind ?? 0) >= LAG_COUNT_CAP,
    lagSeconds: lag?.oldest ? Math.max(0, Math.round((now.getTime() - new Date(lag.oldest).getTime()) / 1000)) : 0,
  };
}

export type AuditStreamStatus = NonNullable<Awaited<ReturnType<typeof auditStreamStatus>>>;

/** The status as AUDITOR and VIEWER may see it: the endpoint with its query and secret path parts hidden. */
export function withoutEndpoint(status: AuditStreamStatus): Omit<AuditStreamStatus, "endpointFull"> {
  return Object.fromEntries(Object.entries(status).filter(([key]) => key !== "endpointFull")) as Omit<AuditStreamStatus, "endpointFull">;
}
