import "server-only";
import { withSqlTransaction, type Db, type Sql } from "@/lib/db/client";
import { GLOBAL_CHAIN } from "@/lib/audit/record";

// The daily rollup of reported tool-call decisions (DecisionRollup): one row
// per environment, UTC day and distinct decision inputs (subject, client,
// server, tool, inputs), with the number of calls and the last one. The
// impact preview groups a window of these instead of every event in it: a
// day of a busy environment is millions of events but a few thousand rows.
//
// Like the reported-decision check, it reads each audit chain in seq order
// from a cursor (DecisionRollupCursor): a chain is extended by one
// transaction at a time, so every event at or below the chain head is
// committed and no later one can take a lower seq. The preview reads events
// past the cursor directly, so a fresh event counts before it is rolled up.

/** Lock shared with retention: a pass and a purge never interleave. */
export const ROLLUP_LOCK_SQL = `hashtext('warden:decision-rollup')`;

const DEFAULT_PER_CHAIN = 100_000;

/** The events the impact preview replays (of the AuditEvent aliased `e`): tool-call decisions, whatever else the trail holds. */
const REPLAYED = `e."source" = 'mcp' AND e."decision" IN ('allow', 'deny') AND e."server" IS NOT NULL AND e."tool" IS NOT NULL`;

/**
 * Adds to the rollup the tool calls of the events the `FROM … WHERE` clause
 * selects (aliased `e`), and returns how many. Grouped by the inputs' text
 * (jsonb's normal form), so a row's key is unique within one statement, as
 * ON CONFLICT requires.
 */
function rollupInsert(fromWhere: string, onConflict: string): string {
  return `
    WITH grouped AS (
      SELECT e."environmentId", (e."ts" AT TIME ZONE 'UTC')::date AS "day", e."actor", e."clientId", e."server", e."tool", e."inputs"::text AS "inputs",
             count(*) AS "calls", max(e."ts") AS "lastSeen"
      ${fromWhere} AND e."environmentId" IS NOT NULL AND ${REPLAYED}
      GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), added AS (
      INSERT INTO "DecisionRollup" AS r ("environmentId", "day", "key", "subject", "clientId", "server", "tool", "inputs", "calls", "lastSeen")
      SELECT "environmentId", "day", sha256(convert_to(json_build_array("actor", "clientId", "server", "tool", "inputs")::text, 'UTF8')),
             "actor", "clientId", "server", "tool", "inputs"::jsonb, "calls", "lastSeen"
      FROM grouped
      ${onConflict}
    )
    SELECT COALESCE(sum("calls"), 0)::int AS "calls" FROM grouped`;
}

const ADD_TO_ROLLUP = rollupInsert(
  `FROM "AuditEvent" e WHERE e."chain" = $1 AND e."seq" > $2::bigint AND e."seq" <= $3::bigint`,
  `ON CONFLICT ("environmentId", "day", "key") DO UPDATE SET "calls" = r."calls" + EXCLUDED."calls", "lastSeen" = GREATEST(r."lastSeen", EXCLUDED."lastSeen")`,
);

export type RollupResult = { ran: boolean; calls: number; chainsBehind: number };

/**
 * One bounded pass: the tool calls among at most `perChain` new events of each
 * chain are added to the rollup (`calls`: how many), and the chain's cursor
 * moves past those events in the same transaction. `chainsBehind` counts the
 * chains that still have events to roll up.
 */
export async function rollUpDecisions(db: Db, options: { perChain?: number } = {}): Promise<RollupResult> {
  const perChain = Math.max(1, options.perChain ?? DEFAULT_PER_CHAIN);
  return withSqlTransaction(
    db,
    async (sql) => {
      const [lock] = await sql<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${ROLLUP_LOCK_SQL}) AS "locked"`);
      if (!lock?.locked) return { ran: false, calls: 0, chainsBehind: 0 };
      const chains = await sql<{ chain: string; headSeq: string; cursorSeq: string | null }>(
        `SELECT h."chain", h."lastSeq"::text AS "headSeq", c."lastSeq"::text AS "cursorSeq"
         FROM "AuditChainHead" h LEFT JOIN "DecisionRollupCursor" c ON c."chain" = h."chain"
         WHERE h."chain" <> $1 AND (c."lastSeq" IS NULL OR c."lastSeq" < h."lastSeq")`,
        [GLOBAL_CHAIN],
      );
      let calls = 0;
      let chainsBehind = 0;
      for (const chain of chains) {
        const from = chain.cursorSeq ?? "0";
        // The seq of the perChain-th event past the cursor, or the head when fewer are left.
        const [bound] = await sql<{ seq: string }>(
          `SELECT "seq"::text AS "seq" FROM "AuditEvent" WHERE "chain" = $1 AND "seq" > $2::bigint AND "seq" <= $3::bigint ORDER BY "seq" OFFSET $4 LIMIT 1`,
          [chain.chain, from, chain.headSeq, perChain - 1],
        );
        const to = bound?.seq ?? chain.headSeq;
        const [added] = await sql<{ calls: number }>(ADD_TO_ROLLUP, [chain.chain, from, to]);
        await sql(
          `INSERT INTO "DecisionRollupCursor" ("chain", "lastSeq", "rolledAt") VALUES ($1, $2::bigint, now())
           ON CONFLICT ("chain") DO UPDATE SET "lastSeq" = EXCLUDED."lastSeq", "rolledAt" = now()`,
          [chain.chain, to],
        );
        calls += added?.calls ?? 0;
        if (BigInt(to) < BigInt(chain.headSeq)) chainsBehind++;
      }
      return { ran: true, calls, chainsBehind };
    },
    { statementTimeoutMs: 120_000 },
  );
}

/**
 * After retention deleted an environment's oldest events (all dated before
 * `cutoff`), rebuilds its rollup rows for the days up to the cutoff's from
 * the events that are left: days fully purged lose their rows, the cutoff's
 * day keeps only what survived. Runs in the purge's transaction, under the
 * rollup's lock, so no pass adds to these rows meanwhile.
 */
export async function rebuildRollupBefore(sql: Sql, environmentId: string, cutoff: Date): Promise<void> {
  const dayEnd = new Date(startOfUtcDay(cutoff).getTime() + DAY_MS);
  await sql(`DELETE FROM "DecisionRollup" WHERE "environmentId" = $1::uuid AND "day" < $2::date`, [environmentId, isoDay(dayEnd)]);
  await sql(
    rollupInsert(
      `FROM "AuditEvent" e JOIN "DecisionRollupCursor" c ON c."chain" = e."chain" AND e."seq" <= c."lastSeq"
       WHERE e."environmentId" = $1::uuid AND e."ts" < $2`,
      "",
    ),
    [environmentId, dayEnd],
  );
}

export type RollupCursor = { chain: string; rolled: string };

/** Every chain of an environment (its lanes, past ones included) and how far the rollup has read it; $1 is the environment. */
export const ROLLUP_CURSORS_SQL = `
  SELECT h."chain", COALESCE(c."lastSeq", 0)::text AS "rolled"
  FROM "AuditChainHead" h LEFT JOIN "DecisionRollupCursor" c ON c."chain" = h."chain"
  WHERE h."chain" = $1::text OR h."chain" LIKE $1::text || '~%'`;

export const DAY_MS = 86_400_000;

export function startOfUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

/** The UTC date as PostgreSQL reads a `date`: YYYY-MM-DD. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The grouping statement of the impact preview for the window [from, to):
 * the same rows as grouping every event of the window (lib/impact/impact.ts
 * GROUP_SQL), from the rollup wherever it can stand in for the events.
 *
 * - Days wholly inside the window: their rollup rows.
 * - The day the window starts in: from the events on whichever side of
 *   `from` is shorter. Either the events at or after `from`, or the day's
 *   rows minus the events before `from`. Subtracting is exact for the counts;
 *   a row's last call is then either in the window (the group's true last
 *   call) or before it, when every call of that row is subtracted: the group
 *   then has no calls left from this day, and any other part of the window
 *   holds later calls, or none and the group is left out.
 * - The day the window ends in: its rows, all of whose calls are before `to`
 *   unless one row's last call is later (a producer's clock ahead); then its
 *   events before `to` instead.
 * - Events not rolled up yet (past their chain's cursor) in the window, read
 *   through (chain, seq).
 *
 * Events are rolled up when their seq is at or below their chain's cursor
 * (`cursors`, from ROLLUP_CURSORS_SQL): read them in the same snapshot as
 * this statement (a REPEATABLE READ transaction). They are given as values,
 * not joined, so the planner sees how few events lie past them.
 */
export function windowGroupingQuery(environmentId: string, from: Date, to: Date, cursors: RollupCursor[]): { text: string; values: unknown[] } {
  const values: unknown[] = [environmentId, from, to];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  // Named only by the parts that need them: an unused parameter has no type PostgreSQL can infer.
  let cursorTable: string | undefined;
  const cursorsAsTable = () => (cursorTable ??= `unnest(${param(cursors.map((cursor) => cursor.chain))}::text[], ${param(cursors.map((cursor) => cursor.rolled))}::bigint[])`);
  const parts: string[] = [];
  const rows = (where: string) => `SELECT "subject", "clientId", "server", "tool", "inputs", "calls", "lastSeen" FROM "DecisionRollup" WHERE "environmentId" = $1::uuid AND ${where}`;
  // Rolled-up events of a span, counted +1 or -1 (the subtracted ones carry no last call).
  const rolledEvents = (start: Date, end: Date, sign: 1 | -1, extra = "") =>
    `SELECT e."actor", e."clientId", e."server", e."tool", e."inputs", ${sign}::bigint, ${sign === 1 ? `e."ts"` : "NULL::timestamptz"}
     FROM "AuditEvent" e LEFT JOIN ${cursorsAsTable()} AS c ("chain", "rolled") ON c."chain" = e."chain"
     WHERE e."environmentId" = $1::uuid AND e."ts" >= ${param(start)} AND e."ts" < ${param(end)} AND e."seq" <= COALESCE(c."rolled", 0)
       AND ${REPLAYED}${extra}`;

  const firstDay = startOfUtcDay(from);
  const lastDay = startOfUtcDay(to);
  if (firstDay.getTime() === lastDay.getTime()) {
    // A window within one day: its events.
    if (from < to) parts.push(rolledEvents(from, to, 1));
  } else {
    const fullFrom = from.getTime() === firstDay.getTime() ? firstDay : new Date(firstDay.getTime() + DAY_MS);
    if (fullFrom < lastDay) parts.push(rows(`"day" >= ${param(isoDay(fullFrom))}::date AND "day" < ${param(isoDay(lastDay))}::date`));
    if (from > firstDay) {
      const dayEnd = new Date(firstDay.getTime() + DAY_MS);
      if (from.getTime() - firstDay.getTime() < dayEnd.getTime() - from.getTime()) {
        parts.push(rows(`"day" = ${param(isoDay(firstDay))}::date`));
        parts.push(rolledEvents(firstDay, from, -1));
      } else {
        parts.push(rolledEvents(from, dayEnd, 1));
      }
    }
    if (to > lastDay) {
      const day = param(isoDay(lastDay));
      const late = `EXISTS (SELECT 1 FROM "DecisionRollup" WHERE "environmentId" = $1::uuid AND "day" = ${day}::date AND "lastSeen" >= $3)`;
      // Uncorrelated, so evaluated once: only one of the two is read.
      parts.push(rows(`"day" = ${day}::date AND NOT ${late}`));
      parts.push(rolledEvents(lastDay, to, 1, ` AND ${late}`));
    }
  }
  for (const cursor of cursors) {
    parts.push(
      `SELECT e."actor", e."clientId", e."server", e."tool", e."inputs", 1::bigint, e."ts"
       FROM "AuditEvent" e
       WHERE e."chain" = ${param(cursor.chain)} AND e."seq" > ${param(cursor.rolled)}::bigint
         AND e."environmentId" = $1::uuid AND e."ts" >= $2 AND e."ts" < $3 AND ${REPLAYED}`,
    );
  }
  // A window that no part covers still needs a FROM.
  if (parts.length === 0) parts.push(`SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, 0::bigint, NULL::timestamptz WHERE false`);
  // The window's ends are named with their type here: with no traffic (no
  // chains, so no cursor parts) and whole days from the rollup, no part may
  // use $2 or $3, and PostgreSQL refuses a parameter whose type it cannot infer.
  const text = `
    SELECT "subject", "clientId", "server", "tool", "inputs"::text AS "inputs", sum("calls")::int AS "calls", max("lastSeen") AS "lastSeen"
    FROM (
      ${parts.join("\n      UNION ALL\n      ")}
    ) AS parts ("subject", "clientId", "server", "tool", "inputs", "calls", "lastSeen")
    GROUP BY "subject", "clientId", "server", "tool", "inputs"
    HAVING sum("calls") > 0 AND $2::timestamptz <= $3::timestamptz`;
  return { text, values };
}
