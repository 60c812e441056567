import "server-only";
import { z } from "zod";
import { withSqlTransaction, type Db, type Sql } from "@/lib/db/client";
import { buildPublishedConfig, configContentHash, type PublishedConfig } from "@/lib/config/snapshot";
import { canonicalJson } from "@/sdk/src/contract/canonical-json";
import type { PolicySnapshot } from "@/sdk/src/contract/policy";
import type { DecisionInputs } from "@/sdk/src/contract/decision-inputs";
import { replayGroups, type FlipGroup, type FlipTotals, type ReplayGroup } from "./replay";
import { ROLLUP_CURSORS_SQL, windowGroupingQuery, type RollupCursor } from "./rollup";

export const DEFAULT_WINDOW_DAYS = 7;
export const MAX_WINDOW_DAYS = 30;

/**
 * How many days to replay: a number, or its digits as text (a form or a URL).
 * Nothing else is read as one: `true`, `null`, `[]` or "1e1" are refused rather
 * than coerced into 1, 0 or 10.
 */
export const ImpactWindowSchema = z
  .union([z.number("days must be a number"), z.string().trim().regex(/^\d{1,9}$/, "days must be a whole number").transform(Number)], "days must be a number")
  .pipe(
    z
      .number()
      .int("days must be a whole number")
      .min(1, "days must be at least 1")
      .max(MAX_WINDOW_DAYS, `days must be at most ${MAX_WINDOW_DAYS}`),
  )
  .default(DEFAULT_WINDOW_DAYS);

/** What a config change does to the calls of a recent window: who would lose access, who would gain it. */
export type ImpactReport = {
  environment: string;
  window: { days: number; from: string; to: string };
  /** The config the traffic is replayed against first; null when nothing is published (every call is denied). */
  live: { version: number; contentHash: string } | null;
  /** The config it is replayed against second. */
  candidate: { label: string; contentHash: string };
  /** The two configs hold the same policy: nothing can flip. */
  unchanged: boolean;
  traffic: {
    /** Tool calls reported in the window. */
    calls: number;
    /** Of those, calls recorded with their decision inputs, and so replayed. */
    replayedCalls: number;
    /** Calls recorded without inputs (older SDKs): never guessed. */
    notReplayableCalls: number;
    /** Distinct decision inputs, each decided once per config. */
    groups: number;
  };
  losesAccess: FlipGroup[];
  gainsAccess: FlipGroup[];
  loses: FlipTotals;
  gains: FlipTotals;
  durationMs: number;
  /** Where the time went: loading both configs, the grouping query, deciding. */
  timings: { configsMs: number; groupingMs: number; decidingMs: number };
};

/** Where a replay is: reading and grouping the window in the database, then deciding each group under both configs. */
export type ImpactProgress = { stage: "grouping" } | { stage: "deciding"; groups: number; calls: number };

type ImpactOptions = {
  days?: number;
  now?: Date;
  onProgress?: (progress: ImpactProgress) => void;
  signal?: AbortSignal;
};

export class ImpactCancelled extends Error {
  constructor() {
    super("The impact preview was cancelled.");
  }
}

/** The published config an environment's MCP servers enforce now, or null. */
export async function liveConfig(db: Db, environmentId: string): Promise<{ version: number; contentHash: string; config: PublishedConfig } | null> {
  const live = await db.configVersion.findFirst({ where: { environmentId }, orderBy: { version: "desc" }, select: { version: true, contentHash: true, snapshot: true } });
  return live ? { version: live.version, contentHash: live.contentHash, config: live.snapshot as unknown as PublishedConfig } : null;
}

const EMPTY_POLICY = (environment: string): PolicySnapshot => ({ environment, version: null, tools: [], roles: [], grants: [], clients: [] });

/** The impact of publishing the environment's draft now. */
export async function draftImpact(db: Db, environmentId: string, options: ImpactOptions = {}): Promise<ImpactReport> {
  const draft = await buildPublishedConfig(db, environmentId);
  return configImpact(db, environmentId, { label: "the draft", config: draft }, options);
}

/**
 * Replays the window's tool calls against the live config and against a
 * candidate (the draft, an import plan, a promotion), and reports the flips.
 * Identical decision inputs are grouped in SQL first, in one statement the
 * caller can cancel, then decided once per config.
 */
export async function configImpact(
  db: Db,
  environmentId: string,
  candidate: { label: string; config: PublishedConfig },
  options: ImpactOptions = {},
): Promise<ImpactReport> {
  const started = performance.now();
  const days = options.days ?? DEFAULT_WINDOW_DAYS;
  const to = options.now ?? new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const live = await liveConfig(db, environmentId);
  const candidateHash = configContentHash(candidate.config);
  const before: PolicySnapshot = live ? { ...live.config.policy, version: live.version } : EMPTY_POLICY(candidate.config.environment);
  const after: PolicySnapshot = { ...candidate.config.policy, version: null };
  // The policy is what decides; a change elsewhere (a server's description) cannot flip a call.
  const unchanged = live !== null && canonicalJson({ ...live.config.policy, version: null }) === canonicalJson({ ...candidate.config.policy, version: null });
  const configsDone = performance.now();

  const grouped = await groupWindow(db, environmentId, from, to, options);
  const groupingDone = performance.now();
  options.onProgress?.({ stage: "deciding", groups: grouped.groups.length, calls: grouped.calls });
  // Against itself nothing can flip; deciding anyway would only cost time.
  const outcome = replayGroups(before, unchanged ? before : after, unchanged ? [] : grouped.groups);
  return {
    environment: candidate.config.environment,
    window: { days, from: from.toISOString(), to: to.toISOString() },
    live: live ? { version: live.version, contentHash: live.contentHash } : null,
    candidate: { label: candidate.label, contentHash: candidateHash },
    unchanged,
    traffic: {
      calls: grouped.calls,
      replayedCalls: grouped.replayableCalls,
      notReplayableCalls: grouped.calls - grouped.replayableCalls,
      groups: grouped.groups.length,
    },
    losesAccess: outcome.losesAccess,
    gainsAccess: outcome.gainsAccess,
    loses: outcome.loses,
    gains: outcome.gains,
    durationMs: Math.round(performance.now() - started),
    timings: { configsMs: Math.round(configsDone - started), groupingMs: Math.round(groupingDone - configsDone), decidingMs: Math.round(performance.now() - groupingDone) },
  };
}

type GroupRow = { subject: string; clientId: string | null; server: string; tool: string; inputs: string | null; calls: number; lastSeen: Date };

/**
 * The grouping, event by event: one row per distinct (subject, client,
 * server, tool, inputs) among the reported tool-call decisions of an
 * environment in [from, to). Events without inputs group by caller and tool
 * only and are counted as not replayable. `inputs::text` is jsonb's normal
 * form, so equal inputs have equal text whatever order the producer wrote
 * them in. The preview reads the same rows from the daily rollup
 * (windowGroupingQuery in ./rollup); this is what it must equal.
 */
export const GROUP_SQL = `
  SELECT "actor" AS "subject", "clientId", "server", "tool", "inputs"::text AS "inputs", count(*)::int AS "calls", max("ts") AS "lastSeen"
  FROM "AuditEvent"
  WHERE "environmentId" = $1::uuid AND "ts" >= $2 AND "ts" < $3
    AND "source" = 'mcp' AND "decision" IN ('allow', 'deny') AND "server" IS NOT NULL AND "tool" IS NOT NULL
  GROUP BY "actor", "clientId", "server", "tool", "inputs"`;

/** The window's groups of identical decision inputs, from the daily rollup and the events it does not cover (or, with `fromEvents`, from every event). */
export async function groupWindow(db: Db, environmentId: string, from: Date, to: Date, options: ImpactOptions & { fromEvents?: boolean } = {}) {
  const merged: ReplayGroup[] = [];
  let calls = 0;
  let replayableCalls = 0;
  if (options.signal?.aborted) throw new ImpactCancelled();
  options.onProgress?.({ stage: "grouping" });
  await withSqlTransaction(
    db,
    async (sql: Sql) => {
      // Read-only, with enough memory to aggregate in a hash rather than by sorting on disk; one snapshot for the rollup's
      // cursors and the statement that reads events on either side of them.
      await sql(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
      await sql(`SET LOCAL work_mem = '64MB'`);
      // One statement for the whole window: slicing it (for finer progress) cost more than the statement itself.
      // Cancelling asks the server to stop the statement, from another connection.
      const [backend] = await sql<{ pid: number }>(`SELECT pg_backend_pid() AS "pid"`);
      const cancel = () => void db.$queryRawUnsafe(`SELECT pg_cancel_backend($1)`, backend!.pid).catch(() => undefined);
      options.signal?.addEventListener("abort", cancel, { once: true });
      let rows: GroupRow[];
      try {
        const query = options.fromEvents
          ? { text: GROUP_SQL, values: [environmentId, from, to] }
          : windowGroupingQuery(environmentId, from, to, await sql<RollupCursor>(ROLLUP_CURSORS_SQL, [environmentId]));
        rows = await sql<GroupRow>(query.text, query.values);
      } catch (error) {
        if (options.signal?.aborted) throw new ImpactCancelled();
        throw error;
      } finally {
        options.signal?.removeEventListener("abort", cancel);
      }
      for (const row of rows) {
        calls += row.calls;
        if (row.inputs === null) continue;
        replayableCalls += row.calls;
        merged.push({ subject: row.subject, clientId: row.clientId, server: row.server, tool: row.tool, inputs: normaliseInputs(JSON.parse(row.inputs)), inputsKey: row.inputs, calls: row.calls, lastSeen: row.lastSeen });
      }
    },
    { statementTimeoutMs: 60_000 },
  );
  if (options.signal?.aborted) throw new ImpactCancelled();
  return { groups: merged, calls, replayableCalls };
}

// Stored inputs passed the ingest schema; read them defensively all the same.
function normaliseInputs(value: unknown): DecisionInputs {
  const record = (value ?? {}) as Partial<DecisionInputs>;
  const strings = (list: unknown) => (Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : []);
  const claims: DecisionInputs["claims"] = {};
  if (record.claims && typeof record.claims === "object") {
    for (const [name, claim] of Object.entries(record.claims)) {
      if (typeof claim === "string") claims[name] = claim;
      else if (Array.isArray(claim)) claims[name] = strings(claim);
    }
  }
  return { scopes: strings(record.scopes), roles: strings(record.roles), claims };
}

/** "37 calls by 5 users in the last 7 days would now be refused", or null when nobody loses access. */
export function lossSentence(report: Pick<ImpactReport, "loses" | "window">): string | null {
  if (report.loses.calls === 0) return null;
  const { calls, subjects } = report.loses;
  return `${calls} ${calls === 1 ? "call" : "calls"} by ${subjects} ${subjects === 1 ? "user" : "users"} in the last ${report.window.days} ${report.window.days === 1 ? "day" : "days"} would now be refused`;
}

/** What the published version's audit event keeps of the impact the admin confirmed. */
export function impactSummary(report: ImpactReport) {
  return {
    days: report.window.days,
    from: report.window.from,
    to: report.window.to,
    calls: report.traffic.calls,
    notReplayableCalls: report.traffic.notReplayableCalls,
    loses: report.loses,
    gains: report.gains,
  };
}
