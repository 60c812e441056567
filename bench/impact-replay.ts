/**
 * Benchmark of the impact preview (issue: "see the impact before you
 * publish"): a 7-day window of a trail of N events in one environment,
 * replayed against the live config and a draft that revokes a grant and adds
 * another, against a same-run baseline of the bare GROUP BY over the window's
 * events (what the replay grouped before the daily rollup). Target: the
 * replay under 5 s; the ratio says what it costs next to that query.
 *
 * Before timing, the daily rollup is built as the server builds it: the
 * background pass (rollUpDecisions, default batch) run until no chain is
 * behind; its catch-up is timed and printed on its own.
 *
 *   npm run bench:impact-replay                          (10,000,000 events over 30 days)
 *   npm run bench:impact-replay -- --events 2000000      (a quicker run)
 *   options: --days-of-trail 30 --window 7 --rounds 3 --explain (print both grouping statements' plans)
 *
 * The fill, straight in SQL (INSERT … SELECT generate_series, in chunks, with
 * the secondary indexes re-created afterwards): 1,000 users skewed towards a
 * few heavy ones (rank = 1,000 · u²); each user works through two of 50
 * clients and eight of the 20 servers × 10 tools, a few of them mostly
 * (squared draws), with two token variants; 10 roles mapped from a "groups"
 * claim; 80/20 allow/deny.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { buildPublishedConfig, configContentHash } from "@/lib/config/snapshot";
import { GROUP_SQL, draftImpact } from "@/lib/impact/impact";
import { ROLLUP_CURSORS_SQL, rollUpDecisions, windowGroupingQuery, type RollupCursor } from "@/lib/impact/rollup";
import { fmt, openBenchDatabase } from "./audit-setup";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    "days-of-trail": { type: "string", default: "30" },
    window: { type: "string", default: "7" },
    rounds: { type: "string", default: "3" },
    explain: { type: "boolean", default: false },
  },
});
const events = Number(values.events);
const trailDays = Number(values["days-of-trail"]);
const windowDays = Number(values.window);
const rounds = Math.max(3, Number(values.rounds));
const TARGET_MS = 5_000;
const USERS = 1_000;
const CLIENTS = 50;
const SERVERS = 20;
const TOOLS = 10;
const ROLES = 10;

const database = await openBenchDatabase({ pglite: false, poolMax: 4 });
const { db } = database;
const raw = new pg.Client({ connectionString: database.url });
let pass = false;
try {
  await raw.connect();
  console.log(`database: ${database.label}`);
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });

  // The policy: every tool; role r is granted the tools t with (s + t) % 10 ∈ {r, r+1, r+2}, the odd ones needing a scope.
  const servers = [];
  for (let s = 0; s < SERVERS; s++) servers.push(await db.mcpServer.create({ data: { environmentId: environment.id, name: `server-${s}`, resourceUri: `https://server-${s}.example.com/mcp` } }));
  const tools = [];
  for (let s = 0; s < SERVERS; s++) for (let t = 0; t < TOOLS; t++) tools.push({ s, t, row: await db.tool.create({ data: { serverId: servers[s]!.id, name: `tool_${t}` } }) });
  const roles: { id: string }[] = [];
  for (let r = 0; r < ROLES; r++) roles.push(await db.role.create({ data: { environmentId: environment.id, name: `role-${r}`, claimName: "groups", claimValue: `g${r}` } }));
  const grants: { roleId: string; toolId: string; requiredScopes: string[] }[] = [];
  for (const tool of tools) {
    for (let k = 0; k < 3; k++) {
      const role = roles[(tool.s + tool.t + k) % ROLES]!;
      grants.push({ roleId: role.id, toolId: tool.row.id, requiredScopes: (tool.s + tool.t) % 2 ? ["tools:write"] : [] });
    }
  }
  await db.grant.createMany({ data: grants });
  await db.client.createMany({ data: Array.from({ length: CLIENTS }, (_, c) => ({ environmentId: environment.id, clientId: `https://agent-${c}.example.com/oauth/client-metadata.json`, status: "APPROVED" as const })) });
  const live = await buildPublishedConfig(db, environment.id);
  await db.configVersion.create({ data: { environmentId: environment.id, version: 1, contentHash: configContentHash(live), snapshot: live as never, signature: "bench", keyId: "bench" } });
  // The draft: role-0 loses one grant of a busy tool, role-9 gains another.
  const revoked = grants.find((grant) => grant.roleId === roles[0]!.id)!;
  await db.grant.deleteMany({ where: { roleId: revoked.roleId, toolId: revoked.toolId } });
  await db.grant.create({ data: { roleId: roles[9]!.id, toolId: tools[0]!.row.id, requiredScopes: [] } }).catch(() => undefined);

  const now = new Date();
  console.log(`filling ${fmt(events)} events over ${trailDays} days in one environment`);
  const { rows: indexes } = await raw.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'AuditEvent' AND indexname <> 'AuditEvent_pkey'`);
  for (const index of indexes) await raw.query(`DROP INDEX "${index.indexname}"`);
  const started = Date.now();
  const chunk = 1_000_000;
  for (let from = 1; from <= events; from += chunk) {
    const to = Math.min(events, from + chunk - 1);
    await raw.query(
      `INSERT INTO "AuditEvent" ("id", "chain", "ts", "environmentId", "source", "actor", "clientId", "server", "tool", "action",
                                 "decision", "reason", "configVersion", "inputs", "prevHash", "hash")
       SELECT gen_random_uuid(), $1::text, ts, $1::uuid, 'mcp', 'user-' || u || '@example.com',
              'https://agent-' || ((u + c2) % ${CLIENTS}) || '.example.com/oauth/client-metadata.json',
              'server-' || s, 'tool_' || t, 'tool.call',
              (CASE WHEN deny THEN 'deny' ELSE 'allow' END)::"AuditDecision", CASE WHEN deny THEN 'no_grant' ELSE 'allowed_by_grant' END, 1,
              jsonb_build_object('scopes', CASE WHEN v THEN '["tools:read","tools:write"]'::jsonb ELSE '["tools:read"]'::jsonb END, 'roles', '[]'::jsonb,
                                 'claims', jsonb_build_object('groups', jsonb_build_array('g' || (u % ${ROLES}), 'g' || ((u / 7) % ${ROLES})))),
              NULL, md5(n::text || 'a') || md5(n::text || 'b')
       FROM (
         SELECT n, $2::timestamptz - (1 - n::float8 / ${events}) * ($3 * interval '1 day') AS ts,
                u0 AS u, floor(random() * 2)::int AS c2,
                tt / ${TOOLS} AS s, tt % ${TOOLS} AS t,
                random() < 0.2 AS deny, random() < 0.5 AS v
         FROM (SELECT n, floor(${USERS} * power(random(), 2))::int AS u0, floor(8 * power(random(), 2))::int AS k FROM generate_series(${from}, ${to}) AS n) AS numbered,
              LATERAL (SELECT (u0 * 37 + k) % ${SERVERS * TOOLS} AS tt) AS picked
       ) AS drawn`,
      [environment.id, now, trailDays],
    );
    console.log(`  filled ${fmt(to)} / ${fmt(events)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await raw.query(`SET maintenance_work_mem = '256MB'`).catch(() => {});
  for (const index of indexes) await raw.query(index.indexdef);
  await raw.query(`VACUUM ANALYZE "AuditEvent"`);
  // Ingest moves the chain head with every batch; the fill went around it.
  await raw.query(
    `INSERT INTO "AuditChainHead" ("chain", "lastSeq", "lastHash") SELECT $1::text, max("seq"), '' FROM "AuditEvent" WHERE "chain" = $1::text
     ON CONFLICT ("chain") DO UPDATE SET "lastSeq" = EXCLUDED."lastSeq"`,
    [environment.id],
  );
  console.log(`filled and indexed in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  // The rollup, as the server's background pass builds it, one bounded pass after another.
  const rollupStarted = performance.now();
  let rolled = 0;
  let passes = 0;
  for (;;) {
    const pass = await rollUpDecisions(db);
    rolled += pass.calls;
    passes++;
    if (passes % 10 === 0) console.log(`  rolled up ${fmt(rolled)} calls (${((performance.now() - rollupStarted) / 1000).toFixed(0)} s)`);
    if (pass.ran && pass.chainsBehind === 0) break;
  }
  const rollupMs = performance.now() - rollupStarted;
  await raw.query(`VACUUM ANALYZE "DecisionRollup"`);
  const { rows: [rollupRows] } = await raw.query<{ rows: number; days: number }>(`SELECT count(*)::int AS "rows", count(DISTINCT "day")::int AS "days" FROM "DecisionRollup"`);
  console.log(
    `rollup catch-up: ${fmt(rolled)} calls in ${passes} passes, ${fmt(rollupMs)} ms (${fmt(rolled / (rollupMs / 1000))} calls/s); ` +
      `${fmt(rollupRows!.rows)} rows over ${rollupRows!.days} days`,
  );

  const windowFrom = new Date(now.getTime() - windowDays * 86_400_000);
  const baseline = async () => {
    const t0 = performance.now();
    const { rows } = await raw.query(GROUP_SQL, [environment.id, windowFrom, now]);
    return { ms: performance.now() - t0, groups: rows.length };
  };
  const replay = async () => {
    const t0 = performance.now();
    const report = await draftImpact(db, environment.id, { days: windowDays, now });
    return { ms: performance.now() - t0, report };
  };

  if (values.explain) {
    const { rows: cursors } = await raw.query<RollupCursor>(ROLLUP_CURSORS_SQL, [environment.id]);
    const rollupQuery = windowGroupingQuery(environment.id, windowFrom, now, cursors);
    for (const [text, params] of [[GROUP_SQL, [environment.id, windowFrom, now]], [rollupQuery.text, rollupQuery.values]] as const) {
      const { rows } = await raw.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, [...params]);
      console.log(rows.map((row) => row["QUERY PLAN"]).join("\n"));
    }
  }
  // Warm both once (caches, plans), then alternate A B A B A B.
  await baseline();
  const warm = await replay();
  console.log(
    `window: ${fmt(warm.report.traffic.calls)} calls in ${fmt(warm.report.traffic.groups)} distinct inputs; ` +
      `loses access: ${fmt(warm.report.loses.calls)} calls by ${fmt(warm.report.loses.subjects)} users; gains: ${fmt(warm.report.gains.calls)} calls`,
  );
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const base = await baseline();
    const run = await replay();
    a.push(base.ms);
    b.push(run.ms);
    console.log(`  round ${round + 1}: GROUP BY ${fmt(base.ms)} ms (${fmt(base.groups)} rows), replay ${fmt(run.ms)} ms (${JSON.stringify(run.report.timings)}), ratio ${(run.ms / base.ms).toFixed(2)}`);
  }
  const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)]!;
  const ratios = a.map((base, index) => b[index]! / base);
  const replayMs = median(b);
  pass = replayMs < TARGET_MS;
  console.log(`\nrollup catch-up (${fmt(rolled)} calls, once): ${fmt(rollupMs)} ms`);
  console.log(`median: bare GROUP BY ${fmt(median(a))} ms, replay ${fmt(replayMs)} ms; replay / GROUP BY = ${median(ratios).toFixed(2)}`);
  console.log(`target: replay < ${fmt(TARGET_MS)} ms → ${pass ? "PASS" : "FAIL"}`);
} finally {
  await raw.end().catch(() => {});
  await database.close();
}
process.exit(pass ? 0 : 1);
