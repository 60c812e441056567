import type pg from "pg";
import { CLIENTS, DENY_REASONS, SERVERS, TOOLS_PER_SERVER, USERS } from "./audit-events";

/** Shares of the trail per environment (prod is the busy one). */
export const ENVIRONMENT_SHARES = [
  { key: "prod", share: 0.7 },
  { key: "staging", share: 0.2 },
  { key: "dev", share: 0.1 },
] as const;
export const FILL_DAYS = 90;

/** In the fill, a tool's name is unique across servers (tool filters select one tool of one server, as in the UI). */
export const fillToolName = (server: number, tool: number) => `server_${server}_tool_${tool}`;

/**
 * Fills the audit trail with `events` synthetic events straight in SQL
 * (INSERT … SELECT generate_series, in chunks), with the distributions of a
 * busy fleet: users skewed towards a few heavy ones (rank = 1,000 · u²),
 * 50 clients, 20 servers × 10 tools, 80/20 allow/deny, timestamps spread
 * evenly over the last 90 days in storage order (events arrive roughly in
 * time order; up to 10 minutes late). The hashes are synthetic (random hex, no
 * prevHash): the trail is for reading, not for verifying.
 *
 * The secondary indexes are dropped during the fill and re-created from their
 * own definitions afterwards, which is several times faster than maintaining
 * them row by row; the table ends up exactly as the migrations define it.
 */
export async function fillAuditTrail(
  db: pg.ClientBase,
  environments: { id: string; key: string }[],
  events: number,
  options: { now: Date; chunk?: number; log?: (line: string) => void },
): Promise<{ fillSeconds: number; indexSeconds: number }> {
  const log = options.log ?? (() => {});
  const chunk = options.chunk ?? 1_000_000;
  const { rows: indexes } = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'AuditEvent' AND indexname <> 'AuditEvent_pkey'`,
  );
  for (const index of indexes) await db.query(`DROP INDEX "${index.indexname}"`);

  const started = Date.now();
  const nowIso = options.now.toISOString();
  const denyReasons = `ARRAY[${DENY_REASONS.map((reason) => `'${reason.replace(/'/g, "''")}'`).join(", ")}]`;
  // The environment of row n: its position in [0, 1) against the cumulative shares.
  let cumulative = 0;
  const environmentCase =
    environments.length === 1
      ? `'${environments[0]!.id}'::uuid`
      : `CASE ${environments
          .map((environment, i) => {
            cumulative += ENVIRONMENT_SHARES[i]?.share ?? 0;
            return i === environments.length - 1 ? `ELSE '${environment.id}'::uuid` : `WHEN e < ${cumulative} THEN '${environment.id}'::uuid`;
          })
          .join(" ")} END`;
  for (let from = 1; from <= events; from += chunk) {
    const to = Math.min(events, from + chunk - 1);
    await db.query(`
      INSERT INTO "AuditEvent" ("id", "chain", "ts", "environmentId", "source", "actor", "clientId", "server", "tool", "action",
                                "decision", "reason", "configVersion", "requestId", "ip", "details", "prevHash", "hash")
      SELECT gen_random_uuid(), env::text, ts, env, 'mcp', 'user-' || u || '@example.com',
             'https://agent-' || c || '.example.com/oauth/client-metadata.json',
             'server-' || s, 'server_' || s || '_tool_' || t, 'tool.call',
             (CASE WHEN deny THEN 'deny' ELSE 'allow' END)::"AuditDecision",
             CASE WHEN deny THEN (${denyReasons})[1 + floor(r * ${DENY_REASONS.length})::int] ELSE 'granted to role analyst' END,
             40 + (n % 3), 'req-' || n, '10.0.' || (u % 256) || '.' || (n % 256),
             jsonb_build_object('arguments', jsonb_build_object('invoiceId', 'INV-' || n, 'limit', 50)),
             NULL, md5(n::text || 'a') || md5(n::text || 'b')
      FROM (
        SELECT n, ${environmentCase} AS env,
               timestamptz '${nowIso}' - (1 - n::float8 / ${events}) * interval '${FILL_DAYS} days' - random() * interval '10 minutes' AS ts,
               floor(${USERS} * power(random(), 2))::int AS u, floor(random() * ${CLIENTS})::int AS c,
               floor(random() * ${SERVERS})::int AS s, floor(random() * ${TOOLS_PER_SERVER})::int AS t,
               random() < 0.2 AS deny, random() AS r
        FROM (SELECT n, random() AS e FROM generate_series(${from}, ${to}) AS n) AS numbered
      ) AS drawn`);
    log(`  filled ${to.toLocaleString("en")} / ${events.toLocaleString("en")} events (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  const fillSeconds = (Date.now() - started) / 1000;
  const indexing = Date.now();
  await db.query(`SET maintenance_work_mem = '256MB'`).catch(() => {});
  for (const index of indexes) await db.query(index.indexdef);
  await db.query(`ANALYZE "AuditEvent"`);
  const indexSeconds = (Date.now() - indexing) / 1000;
  log(`  re-created ${indexes.length} indexes and analysed in ${indexSeconds.toFixed(0)} s`);
  return { fillSeconds, indexSeconds };
}
