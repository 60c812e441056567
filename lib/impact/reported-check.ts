import "server-only";
import { withSqlTransaction, type Db, type Sql } from "@/lib/db/client";
import { GLOBAL_CHAIN } from "@/lib/audit/record";
import type { PublishedConfig } from "@/lib/config/snapshot";
import { decide } from "@/sdk/src/contract/decide";
import type { PolicySnapshot } from "@/sdk/src/contract/policy";
import { requestFromInputs, type DecisionInputs } from "@/sdk/src/contract/decision-inputs";

// Re-decides what MCP servers report, with the snapshot of the config version
// each event names, and flags the events that version would not have made:
// an `allow` for a client that is not approved, a tool that does not exist,
// a subject without a grant. A misconfigured server, an outdated SDK or a
// compromised producer looks like this from here.
//
// Bounded: each run reads at most `perChain` new events of each audit chain,
// in seq order, from where the last run stopped. A chain is extended by one
// transaction at a time, so its seq order is its commit order and no event
// is skipped. Several instances may run it: one at a time gets the lock.

/** A chain seen for the first time is read from this many sequence numbers back, not from its beginning. */
const FIRST_RUN_LOOKBACK = 100_000;
const DEFAULT_PER_CHAIN = 5_000;

export type ReportedCheckResult = { ran: boolean; checked: number; flagged: number };

type EventRow = {
  id: string;
  seq: string;
  environmentId: string;
  ts: Date;
  actor: string;
  clientId: string | null;
  server: string;
  tool: string;
  decision: "allow" | "deny";
  reason: string | null;
  configVersion: number;
  inputs: DecisionInputs | null;
};

export type Mismatch = { expectedDecision: "allow" | "deny"; expectedReason: string; message: string; replayed: boolean };

/**
 * What the named config version says of a reported decision: a mismatch, or
 * null when it agrees or cannot tell. With recorded inputs the call is
 * decided again exactly. Without them only an `allow` can be judged: it is
 * flagged when no inputs at all (every role, every scope) would be allowed.
 */
export function judgeReportedDecision(
  policy: PolicySnapshot | null,
  event: { environment: string; actor: string; clientId: string | null; server: string; tool: string; decision: "allow" | "deny"; configVersion: number; inputs: DecisionInputs | null },
): Mismatch | null {
  if (!policy) {
    return {
      expectedDecision: "deny",
      expectedReason: "unknown_config_version",
      message: `Config version ${event.configVersion} was never published in ${event.environment}, so no decision can rest on it.`,
      replayed: false,
    };
  }
  if (event.inputs) {
    const decision = decide(policy, requestFromInputs({ subject: event.actor, clientId: event.clientId, server: event.server, tool: event.tool }, event.inputs));
    if (decision.decision === event.decision) return null;
    return { expectedDecision: decision.decision, expectedReason: decision.reason, message: `Version ${event.configVersion} would ${decision.decision} this call: ${decision.message}`, replayed: true };
  }
  if (event.decision !== "allow") return null;
  const scopes = [...new Set(policy.grants.filter((grant) => grant.server === event.server && grant.tool === event.tool).flatMap((grant) => grant.requiredScopes))];
  const best = decide(policy, { subject: event.actor, clientId: event.clientId ?? "", server: event.server, tool: event.tool, scopes, roles: policy.roles.map((role) => role.name) });
  if (best.decision === "allow") return null;
  return {
    expectedDecision: "deny",
    expectedReason: best.reason,
    message: `Version ${event.configVersion} denies this call whoever makes it: ${best.message}`,
    replayed: false,
  };
}

// Published versions never change, so a snapshot read once serves every later run.
const SNAPSHOTS = new Map<string, PolicySnapshot | null>();
const SNAPSHOT_CACHE_MAX = 256;

async function snapshotOf(sql: Sql, environmentId: string, version: number): Promise<PolicySnapshot | null> {
  const key = `${environmentId}:${version}`;
  if (SNAPSHOTS.has(key)) return SNAPSHOTS.get(key)!;
  const [row] = await sql<{ snapshot: PublishedConfig }>(`SELECT "snapshot" FROM "ConfigVersion" WHERE "environmentId" = $1::uuid AND "version" = $2`, [environmentId, version]);
  const policy = row ? { ...row.snapshot.policy, version } : null;
  // An unknown version may be published later: only found ones are kept.
  if (policy) {
    if (SNAPSHOTS.size >= SNAPSHOT_CACHE_MAX) SNAPSHOTS.delete(SNAPSHOTS.keys().next().value!);
    SNAPSHOTS.set(key, policy);
  }
  return policy;
}

/** One bounded pass over the events reported since the last pass. */
export async function checkReportedDecisions(db: Db, options: { perChain?: number } = {}): Promise<ReportedCheckResult> {
  const perChain = options.perChain ?? DEFAULT_PER_CHAIN;
  return withSqlTransaction(
    db,
    async (sql) => {
      const [lock] = await sql<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('warden:reported-decision-check')) AS "locked"`);
      if (!lock?.locked) return { ran: false, checked: 0, flagged: 0 };
      const chains = await sql<{ chain: string; headSeq: string; cursorSeq: string | null; environmentKey: string | null }>(
        `SELECT h."chain", h."lastSeq"::text AS "headSeq", c."lastSeq"::text AS "cursorSeq", e."key" AS "environmentKey"
         FROM "AuditChainHead" h
         LEFT JOIN "DecisionCheckCursor" c ON c."chain" = h."chain"
         LEFT JOIN "Environment" e ON e."id"::text = split_part(h."chain", '~', 1)
         WHERE h."chain" <> $1 AND (c."lastSeq" IS NULL OR c."lastSeq" < h."lastSeq")`,
        [GLOBAL_CHAIN],
      );
      let checked = 0;
      let flagged = 0;
      for (const chain of chains) {
        const from = chain.cursorSeq ?? String(Math.max(0, Number(chain.headSeq) - FIRST_RUN_LOOKBACK));
        const events = await sql<EventRow & { source: string }>(
          `SELECT "id"::text AS "id", "seq"::text AS "seq", "environmentId"::text AS "environmentId", "ts", "source", "actor", "clientId", "server", "tool",
                  "decision", "reason", "configVersion", "inputs"
           FROM "AuditEvent" WHERE "chain" = $1 AND "seq" > $2::bigint ORDER BY "AuditEvent"."seq" LIMIT $3`,
          [chain.chain, from, perChain],
        );
        if (events.length === 0) {
          await advance(sql, chain.chain, chain.headSeq);
          continue;
        }
        for (const event of events) {
          // Only tool-call decisions under a named version; a denial after a human's refusal is not the config's.
          if (event.source !== "mcp" || !event.environmentId || !event.server || !event.tool || event.configVersion === null) continue;
          if (event.decision !== "allow" && event.decision !== "deny") continue;
          if (event.reason?.startsWith("approval_")) continue;
          checked++;
          const policy = await snapshotOf(sql, event.environmentId, event.configVersion);
          const mismatch = judgeReportedDecision(policy, { ...event, environment: chain.environmentKey ?? "this environment" });
          if (!mismatch) continue;
          const inserted = await sql(
            `INSERT INTO "DecisionMismatch" ("eventId", "environmentId", "ts", "configVersion", "reportedDecision", "expectedDecision", "expectedReason", "message", "replayed")
             VALUES ($1::uuid, $2::uuid, $3, $4, $5::"AuditDecision", $6::"AuditDecision", $7, $8, $9) ON CONFLICT ("eventId") DO NOTHING RETURNING 1`,
            [event.id, event.environmentId, event.ts, event.configVersion, event.decision, mismatch.expectedDecision, mismatch.expectedReason, mismatch.message, mismatch.replayed],
          );
          flagged += inserted.length;
        }
        await advance(sql, chain.chain, events.at(-1)!.seq);
      }
      return { ran: true, checked, flagged };
    },
    { statementTimeoutMs: 30_000 },
  );
}

async function advance(sql: Sql, chain: string, seq: string) {
  await sql(
    `INSERT INTO "DecisionCheckCursor" ("chain", "lastSeq", "checkedAt") VALUES ($1, $2::bigint, now())
     ON CONFLICT ("chain") DO UPDATE SET "lastSeq" = GREATEST("DecisionCheckCursor"."lastSeq", EXCLUDED."lastSeq"), "checkedAt" = now()`,
    [chain, seq],
  );
}

export type MismatchRow = {
  eventId: string;
  ts: string;
  actor: string;
  clientId: string | null;
  server: string | null;
  tool: string | null;
  configVersion: number;
  reportedDecision: string;
  expectedDecision: string;
  expectedReason: string;
  message: string;
  replayed: boolean;
};

/** The most recent flagged events of an environment, and how many there are in the window (since a date, or the last hours). */
export async function recentMismatches(db: Db, environmentId: string, window: Date | { hours: number }, take = 10): Promise<{ total: number; rows: MismatchRow[] }> {
  const since = window instanceof Date ? window : new Date(Date.now() - window.hours * 3_600_000);
  const where = { environmentId, ts: { gte: since } };
  const [rows, total] = await db.$transaction([
    db.decisionMismatch.findMany({ where, orderBy: { ts: "desc" }, take, include: { event: { select: { actor: true, clientId: true, server: true, tool: true } } } }),
    db.decisionMismatch.count({ where }),
  ]);
  return {
    total,
    rows: rows.map((row) => ({
      eventId: row.eventId,
      ts: row.ts.toISOString(),
      actor: row.event.actor,
      clientId: row.event.clientId,
      server: row.event.server,
      tool: row.event.tool,
      configVersion: row.configVersion,
      reportedDecision: row.reportedDecision,
      expectedDecision: row.expectedDecision,
      expectedReason: row.expectedReason,
      message: row.message,
      replayed: row.replayed,
    })),
  };
}

/** The flag on one event, if the check found its decision at odds with its config version. */
export async function mismatchOf(db: Db, environmentId: string, eventId: string) {
  return db.decisionMismatch.findFirst({ where: { eventId, environmentId } });
}
