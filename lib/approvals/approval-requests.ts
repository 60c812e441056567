import "server-only";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "@/lib/list-query";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import { recordAuditEvents, type AuditActor, type AuditEventInput } from "@/lib/audit/record";
import { redactSecrets } from "@/sdk/src/contract/redact";
import { hasRole, type AdminRole } from "@/lib/auth/admin-roles";
import type { Db, Tx } from "@/lib/db/client";
import type { ApprovalStatus, RiskTier } from "@/lib/db/generated/enums.ts";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { DomainError } from "@/lib/errors";
import { jsonProblem, safeInt, safeString } from "@/lib/input/rules";
import { approvalNotice, enqueueNotification } from "@/lib/notifications/outbox";

export type { ApprovalStatus };

/** A refusal with the HTTP status the data plane answers it with. */
export class ApprovalError extends DomainError {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly code: "invalid" | "wrong_server" | "not_found" | "not_approved" | "already_decided" | "expired" | "already_used" | "arguments_changed",
    message: string,
  ) {
    super(message);
    this.name = "ApprovalError";
  }
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const MAX_PREVIEW_BYTES = 4 * 1024;
export const MIN_EXPIRY_SECONDS = 1;
export const MAX_EXPIRY_SECONDS = 24 * 60 * 60;

export const OpenApprovalSchema = z
  .object({
    subject: safeString().trim().min(1, "subject (the user's sub) is required").max(512),
    clientId: safeString().trim().min(1).max(2_048).nullish(),
    server: safeString().trim().min(1).max(200).optional(),
    tool: safeString().trim().min(1, "tool is required").max(200),
    argumentsDigest: z.string().regex(DIGEST_PATTERN, 'argumentsDigest must be "sha256:" and 64 lower-case hex digits'),
    argumentsPreview: z
      .record(z.string(), z.unknown())
      // Depth and text first: measuring a value nested thousands deep would overflow the stack.
      .superRefine((value, ctx) => {
        const problem = jsonProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
        else if (Buffer.byteLength(JSON.stringify(value)) > MAX_PREVIEW_BYTES) ctx.addIssue({ code: "custom", message: "argumentsPreview must serialize to at most 4 KiB" });
      })
      .nullish(),
    reason: safeString().trim().max(1_000).nullish(),
    requestId: safeString().trim().min(1).max(200).nullish(),
    configVersion: safeInt().positive().nullish(),
    /** Shorter than the environment's expiry only; a request can never outlive it. */
    expiresInSeconds: z.number().int().min(MIN_EXPIRY_SECONDS).max(MAX_EXPIRY_SECONDS).optional(),
  })
  .strict();

export const ConsumeApprovalSchema = z.object({ argumentsDigest: z.string().regex(DIGEST_PATTERN, 'argumentsDigest must be "sha256:" and 64 lower-case hex digits') }).strict();

export const DecideApprovalSchema = z.object({
  id: z.uuid(),
  decision: z.enum(["approve", "deny"]),
  note: safeString().trim().max(1_000).optional().default(""),
});

export const ApprovalSettingsSchema = z.object({
  approverRole: z.enum(["OWNER", "ADMIN"]),
  approvalRiskTier: z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]).nullable(),
  approvalTtlSeconds: z.coerce.number().int().min(30, "At least 30 seconds").max(MAX_EXPIRY_SECONDS, "At most 24 hours"),
});

const RISK_RANK: Record<RiskTier, number> = { LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** A tool needs approval when flagged so, or when its tier reaches the environment's threshold. */
export function needsApproval(tool: { requiresApproval: boolean; riskTier: RiskTier }, threshold: RiskTier | null | undefined): boolean {
  return tool.requiresApproval || (threshold != null && RISK_RANK[tool.riskTier] >= RISK_RANK[threshold]);
}

type Row = Prisma.ApprovalRequestGetPayload<{ include: { decidedBy: { select: { email: true } } } }>;

/** What an MCP server sees of a request: enough to act on it, nothing about other requests. */
export function approvalView(row: Row) {
  return {
    id: row.id,
    status: row.status,
    subject: row.subject,
    clientId: row.clientId,
    server: row.server,
    tool: row.tool,
    argumentsDigest: row.argumentsHash,
    requestId: row.requestId,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decidedBy: row.decidedBy?.email ?? null,
    decisionNote: row.decisionNote,
    consumedAt: row.consumedAt?.toISOString() ?? null,
  };
}
export type ApprovalView = ReturnType<typeof approvalView>;

const withDecider = { decidedBy: { select: { email: true } } } as const;

function linkFields(row: { environmentId: string; subject: string; clientId: string | null; server: string; tool: string; requestId: string | null; configVersion: number | null; id: string }) {
  return {
    environmentId: row.environmentId,
    clientId: row.clientId,
    server: row.server,
    tool: row.tool,
    requestId: row.requestId,
    configVersion: row.configVersion,
    target: row.id,
  };
}

/** An MCP server asks a human to decide one call; the request and its audit event commit together. */
export async function openApproval(db: Db, key: ApiKeyIdentity, input: z.infer<typeof OpenApprovalSchema>, now = new Date()): Promise<ApprovalView> {
  if (key.serverName && input.server && input.server !== key.serverName) {
    throw new ApprovalError(403, "wrong_server", `This API key belongs to server ${key.serverName}, not ${input.server}.`);
  }
  const serverName = key.serverName ?? input.server;
  if (!serverName) throw new ApprovalError(400, "invalid", "server is required with an environment-wide API key.");
  const [environment, tool] = await Promise.all([
    db.environment.findUniqueOrThrow({ where: { id: key.environmentId }, select: { approvalTtlSeconds: true } }),
    db.tool.findFirst({ where: { name: input.tool, server: { name: serverName, environmentId: key.environmentId } }, select: { id: true } }),
  ]);
  if (!tool) throw new ApprovalError(404, "not_found", `There is no tool "${input.tool}" on server "${serverName}" in ${key.environmentKey}.`);
  const seconds = Math.min(input.expiresInSeconds ?? environment.approvalTtlSeconds, environment.approvalTtlSeconds);
  const expiresAt = new Date(now.getTime() + seconds * 1_000);
  const preview = input.argumentsPreview ? (redactSecrets(input.argumentsPreview) as Prisma.InputJsonValue) : undefined;
  return db.$transaction(async (tx) => {
    const row = await tx.approvalRequest.create({
      data: {
        environmentId: key.environmentId,
        subject: input.subject,
        clientId: input.clientId ?? null,
        server: serverName,
        tool: input.tool,
        argumentsHash: input.argumentsDigest,
        argumentsPreview: preview,
        reason: input.reason || null,
        requestId: input.requestId ?? null,
        configVersion: input.configVersion ?? null,
        expiresAt,
        createdAt: now,
      },
      include: withDecider,
    });
    await recordAuditEvents(tx, [
      {
        ...linkFields(row),
        ts: now,
        source: "mcp",
        actor: row.subject,
        action: "approval.requested",
        reason: row.reason,
        details: { approvalId: row.id, argumentsDigest: row.argumentsHash, arguments: input.argumentsPreview ?? null, expiresAt: expiresAt.toISOString() },
      },
    ]);
    await enqueueNotification(tx, row.environmentId, "approval.requested", { ...(await approvalNotice(tx, row)), reason: row.reason, expiresAt: expiresAt.toISOString() }, now);
    return approvalView(row);
  });
}

/**
 * Turns requests past their expiry into EXPIRED (expiry means deny), one audit
 * event each. Conditional on PENDING, so a decision that committed first wins
 * and concurrent sweeps on several instances never expire a request twice.
 */
export async function expireDueApprovals(db: Db, scope: { environmentId?: string; id?: string } = {}, now = new Date()): Promise<number> {
  const due = await db.approvalRequest.count({ where: { status: "PENDING", expiresAt: { lte: now }, ...scope } });
  if (due === 0) return 0;
  return db.$transaction(async (tx) => {
    const expired = await tx.approvalRequest.updateManyAndReturn({ where: { status: "PENDING", expiresAt: { lte: now }, ...scope }, data: { status: "EXPIRED" } });
    await recordAuditEvents(
      tx,
      expired.map((row) => ({
        ...linkFields(row),
        ts: now,
        source: "mcp" as const,
        actor: row.subject,
        action: "approval.expired",
        decision: "deny" as const,
        reason: "Nobody decided before the request expired, so the call is denied.",
        details: { approvalId: row.id, expiresAt: row.expiresAt.toISOString() },
      })),
    );
    for (const row of expired) await enqueueNotification(tx, row.environmentId, "approval.expired", { ...(await approvalNotice(tx, row)), expiresAt: row.expiresAt.toISOString() }, now);
    return expired.length;
  });
}

async function findForKey(db: Db | Tx, key: ApiKeyIdentity, id: string): Promise<Row> {
  const row = z.uuid().safeParse(id).success ? await db.approvalRequest.findFirst({ where: { id, environmentId: key.environmentId }, include: withDecider }) : null;
  // Another server's request is as unknown as a missing one: its existence is not this key's business.
  if (!row || (key.serverName && row.server !== key.serverName)) throw new ApprovalError(404, "not_found", "No such approval request for this API key.");
  return row;
}

export async function getApproval(db: Db, key: ApiKeyIdentity, id: string, now = new Date()): Promise<ApprovalView> {
  const row = await findForKey(db, key, id);
  if (row.status === "PENDING" && row.expiresAt <= now) {
    await expireDueApprovals(db, { id: row.id }, now);
    return approvalView(await findForKey(db, key, id));
  }
  return approvalView(row);
}

/**
 * Spends an approval on the call it was granted for: APPROVED → CONSUMED,
 * atomically, only with the same argument digest and before it expires.
 * Anything else (a replay, changed arguments, a denial, an expired or still
 * pending request) is refused with its reason, and the refusal is audited.
 */
export async function consumeApproval(db: Db, key: ApiKeyIdentity, id: string, input: z.infer<typeof ConsumeApprovalSchema>, now = new Date()): Promise<ApprovalView> {
  await findForKey(db, key, id);
  await expireDueApprovals(db, { id }, now);
  const outcome = await db.$transaction(async (tx) => {
    const updated = await tx.approvalRequest.updateManyAndReturn({
      where: { id, status: "APPROVED", argumentsHash: input.argumentsDigest, expiresAt: { gt: now } },
      data: { status: "CONSUMED", consumedAt: now },
    });
    const row = await findForKey(tx, key, id);
    const event: AuditEventInput = { ...linkFields(row), ts: now, source: "mcp", actor: row.subject, action: "approval.consumed" };
    if (updated.length === 1) {
      await recordAuditEvents(tx, [{ ...event, decision: "allow", reason: "The approved call ran.", details: { approvalId: row.id, argumentsDigest: input.argumentsDigest } }]);
      return { ok: true as const, row };
    }
    const refusal = consumeRefusal(row, input.argumentsDigest, now);
    await recordAuditEvents(tx, [
      { ...event, action: "approval.consume_refused", decision: "deny", reason: refusal.message, details: { approvalId: row.id, code: refusal.code, argumentsDigest: input.argumentsDigest } },
    ]);
    return { ok: false as const, refusal };
  });
  if (!outcome.ok) throw outcome.refusal;
  return approvalView(outcome.row);
}

function consumeRefusal(row: Row, digest: string, now: Date): ApprovalError {
  switch (row.status) {
    case "CONSUMED":
      return new ApprovalError(409, "already_used", `This approval was already used at ${row.consumedAt?.toISOString()}; each approval allows one call. Ask again.`);
    case "DENIED":
      return new ApprovalError(409, "not_approved", `This request was denied${row.decisionNote ? `: ${row.decisionNote}` : "."}`);
    case "EXPIRED":
      return new ApprovalError(409, "expired", "This request expired before anyone approved it, so the call is denied.");
    case "PENDING":
      return new ApprovalError(409, "not_approved", "This request has not been decided yet.");
    case "APPROVED":
      if (row.argumentsHash !== digest) return new ApprovalError(409, "arguments_changed", "The arguments differ from the ones that were approved; an approval is bound to its exact arguments.");
      if (row.expiresAt <= now) return new ApprovalError(409, "expired", "This approval expired before it was used.");
  }
  return new ApprovalError(409, "not_approved", "This approval cannot be used.");
}

export type ApproverIdentity = AuditActor & { role: AdminRole };

/** Whether this admin may decide requests in an environment whose approvers are `approverRole` and above. */
export function canApprove(role: AdminRole, approverRole: AdminRole): boolean {
  return hasRole(role, "ADMIN") && hasRole(role, approverRole);
}

/**
 * An approver approves or denies a pending request. The role is re-checked
 * here against the environment's setting. Conditional on PENDING and
 * unexpired: when two approvers decide at once, the second is told it was
 * already decided, and by whom.
 */
export async function decideApproval(db: Db, approver: ApproverIdentity, environmentId: string, input: z.infer<typeof DecideApprovalSchema>, now = new Date()) {
  const environment = await db.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { approverRole: true } });
  if (!canApprove(approver.role, environment.approverRole)) {
    throw new ApprovalError(403, "invalid", `Only ${environment.approverRole === "OWNER" ? "owners" : "admins and owners"} may decide approval requests in this environment.`);
  }
  if (input.decision === "deny" && !input.note) throw new DomainError("Say why the call is denied; the agent's user sees it.", { note: ["Required when denying"] });
  await expireDueApprovals(db, { id: input.id, environmentId }, now);
  return db.$transaction(async (tx) => {
    const status = input.decision === "approve" ? "APPROVED" : "DENIED";
    const updated = await tx.approvalRequest.updateManyAndReturn({
      where: { id: input.id, environmentId, status: "PENDING", expiresAt: { gt: now } },
      data: { status, decidedById: approver.id, decidedAt: now, decisionNote: input.note || null },
    });
    const row = await tx.approvalRequest.findFirst({ where: { id: input.id, environmentId }, include: withDecider });
    if (!row) throw new ApprovalError(404, "not_found", "This approval request does not exist in this environment.");
    if (updated.length === 0) {
      if (row.status === "EXPIRED") throw new ApprovalError(409, "expired", "This request expired before your decision, so the call was denied.");
      throw new ApprovalError(409, "already_decided", `Already decided: ${row.status.toLowerCase()}${row.decidedBy ? ` by ${row.decidedBy.email}` : ""}. Nothing was changed.`);
    }
    await recordAuditEvents(tx, [
      {
        ...linkFields(row),
        ts: now,
        source: "admin",
        actor: approver.id,
        actorLabel: approver.email,
        ip: approver.ip ?? null,
        action: status === "APPROVED" ? "approval.approved" : "approval.denied",
        decision: status === "APPROVED" ? "allow" : "deny",
        reason: input.note || null,
        details: { approvalId: row.id, subject: row.subject, argumentsDigest: row.argumentsHash },
      },
    ]);
    await enqueueNotification(
      tx,
      environmentId,
      "approval.decided",
      { ...(await approvalNotice(tx, row)), decision: status === "APPROVED" ? "approved" : "denied", decidedBy: approver.email, note: input.note || null },
      now,
    );
    return approvalView(row);
  });
}

export async function getApprovalSettings(db: Db, environmentId: string) {
  return db.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { approverRole: true, approvalRiskTier: true, approvalTtlSeconds: true } });
}

/** OWNER only (the caller checks): who decides, which tiers need approval, and how long a request waits. */
export async function updateApprovalSettings(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof ApprovalSettingsSchema>) {
  return db.$transaction(async (tx) => {
    const before = await tx.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { approverRole: true, approvalRiskTier: true, approvalTtlSeconds: true } });
    const after = await tx.environment.update({ where: { id: environmentId }, data: input, select: { approverRole: true, approvalRiskTier: true, approvalTtlSeconds: true } });
    await recordAuditEvents(tx, [
      { source: "admin", actor: actor.id, actorLabel: actor.email, ip: actor.ip ?? null, environmentId, action: "environment.approval_settings", details: { before, after } },
    ]);
    return after;
  });
}

export const ApprovalListSchema = z.object({
  status: z.enum(["PENDING", "APPROVED", "DENIED", "EXPIRED", "CONSUMED", "all"]).catch("PENDING"),
  before: z.string().max(200).optional().catch(undefined),
});

// The waiting queue is bounded by expiry; the history grows, so it is paged.
const QUEUE_LIMIT = 200;
const HISTORY_PAGE = 50;

/**
 * The queue (pending, the one about to expire on top) or the history, newest
 * first by keyset pages of 50; `older` is the cursor of the next page.
 */
export async function listApprovals(db: Db, environmentId: string, query: z.infer<typeof ApprovalListSchema>, now = new Date()) {
  await expireDueApprovals(db, { environmentId }, now);
  const queue = query.status === "PENDING";
  const before = queue ? null : decodeCursor(query.before);
  const [found, pending] = await db.$transaction([
    db.approvalRequest.findMany({
      where: {
        environmentId,
        ...(query.status === "all" ? {} : { status: query.status }),
        ...(before ? { OR: [{ createdAt: { lt: before.ts } }, { createdAt: before.ts, id: { lt: before.id } }] } : {}),
      },
      orderBy: queue ? [{ expiresAt: "asc" }] : [{ createdAt: "desc" }, { id: "desc" }],
      take: queue ? QUEUE_LIMIT : HISTORY_PAGE + 1,
      include: withDecider,
    }),
    db.approvalRequest.count({ where: { environmentId, status: "PENDING" } }),
  ]);
  const rows = queue ? found : found.slice(0, HISTORY_PAGE);
  const last = rows[rows.length - 1];
  return {
    rows: rows.map((row) => ({ ...approvalView(row), reason: row.reason, argumentsPreview: row.argumentsPreview as Record<string, unknown> | null, configVersion: row.configVersion })),
    pending,
    older: !queue && found.length > HISTORY_PAGE && last ? encodeCursor({ ts: last.createdAt, id: last.id }) : null,
  };
}

/** For the sidebar: pending and unexpired, per environment id. */
export async function pendingApprovalCounts(db: Db, now = new Date()): Promise<Map<string, number>> {
  const groups = await db.approvalRequest.groupBy({ by: ["environmentId"], where: { status: "PENDING", expiresAt: { gt: now } }, _count: { _all: true } });
  return new Map(groups.map((group) => [group.environmentId, group._count._all]));
}
