/**
 * Benchmark of browsing the audit trail (design §6: any filtered page of a
 * 10,000,000-row table in < 50 ms server time). Fills the trail with N
 * synthetic events in SQL (see bench/audit-fill.ts for the distributions),
 * then times pages through listAuditEvents, the function the audit page
 * calls, for each filter the UI offers, against a raw
 * `SELECT … WHERE environmentId = … ORDER BY ts DESC, id DESC LIMIT 50` (the
 * same environment, no filter) in the same run.
 *
 *   npm run bench:audit-browse                       (1,000,000 events: a few minutes)
 *   npm run bench:audit-browse -- --events 10000000  (the full-size run)
 *   options: --iterations 30 --pglite
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { AuditPageQuerySchema, listAuditEvents } from "@/lib/audit/query";
import { encodeCursor } from "@/lib/list-query";
import { clientUrl, userName } from "./audit-events";
import { fillAuditTrail, fillToolName } from "./audit-fill";
import { fmt, openBenchDatabase, percentile } from "./audit-setup";

const { values } = parseArgs({
  options: { events: { type: "string", default: "1000000" }, iterations: { type: "string", default: "30" }, pglite: { type: "boolean", default: false } },
});
const events = Number(values.events);
const iterations = Number(values.iterations);
const TARGET_MS = 50;

const database = await openBenchDatabase({ pglite: values.pglite, poolMax: 4 });
const { db } = database;
const raw = new pg.Client({ connectionString: database.url });
let pass = false;
try {
  await raw.connect();
  const environments = [];
  for (const key of ["prod", "staging", "dev"]) environments.push(await db.environment.create({ data: { key, name: key } }));
  const prod = environments[0]!;
  const now = new Date();
  console.log(`database: ${database.label}`);
  console.log(`filling ${fmt(events)} events (70% prod, 20% staging, 10% dev; synthetic hashes)`);
  const fill = await fillAuditTrail(raw, environments, events, { now, log: console.log });
  const { rows: sizeRows } = await raw.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('"AuditEvent"')) AS size`);
  console.log(`filled in ${fill.fillSeconds.toFixed(0)} s + ${fill.indexSeconds.toFixed(0)} s of indexing; table with indexes: ${sizeRows[0]!.size}`);

  const { rows: deep } = await raw.query<{ ts: Date; id: string }>(
    `SELECT "ts", "id"::text AS "id" FROM "AuditEvent" WHERE "environmentId" = $1 AND "ts" < $2 ORDER BY "ts" DESC, "id" DESC LIMIT 1`,
    [prod.id, new Date(now.getTime() - 80 * 24 * 60 * 60_000)],
  );
  const deepCursor = encodeCursor(deep[0]!);
  // A user of middling activity (rank 100 of 1,000: ~0.16% of events), one tool of one server, one client.
  const user = userName(100);
  const cases: { name: string; params: Record<string, string> }[] = [
    { name: "first page, last 7 days (the default view)", params: {} },
    { name: "first page, all time", params: { range: "all" } },
    { name: "deep page (80 days back), all time", params: { range: "all", before: deepCursor } },
    { name: "user, all time", params: { range: "all", actor: user } },
    { name: "user + decision deny, all time", params: { range: "all", actor: user, decision: "deny" } },
    { name: "user, deep page (80 days back)", params: { range: "all", actor: user, before: deepCursor } },
    { name: "tool, all time", params: { range: "all", tool: fillToolName(7, 3) } },
    { name: "server + tool, all time", params: { range: "all", server: "server-7", tool: fillToolName(7, 3) } },
    { name: "client, all time", params: { range: "all", client: clientUrl(17) } },
    { name: "decision deny, last 7 days", params: { range: "7d", decision: "deny" } },
    { name: 'free text "not approved", last 7 days (~4%)', params: { range: "7d", q: "not approved" } },
    { name: 'free text "approval", all time (~4%)', params: { range: "all", q: "approval" } },
    { name: 'free text with no match, last 24 hours', params: { range: "24h", q: "no such reason" } },
  ];

  async function timeIt(run: () => Promise<unknown>): Promise<number[]> {
    for (let i = 0; i < 3; i++) await run();
    const times: number[] = [];
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < iterations && Date.now() < deadline; i++) {
      const started = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return times.sort((a, b) => a - b);
  }

  // The trail is read one environment at a time: the baseline is that environment's newest page, in raw SQL.
  const baselineSql = `SELECT "id", "ts", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target", "decision", "reason", "configVersion"
                       FROM "AuditEvent" WHERE "environmentId" = $1 ORDER BY "ts" DESC, "id" DESC LIMIT 50`;
  const baseline = await timeIt(() => raw.query(baselineSql, [prod.id]));
  const baseP50 = percentile(baseline, 0.5);
  const row = (name: string, times: number[], rows: number | string) =>
    `${name.padEnd(50)} p50 ${percentile(times, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(times, 0.95).toFixed(1).padStart(7)} ms   ` +
    `${(percentile(times, 0.5) / baseP50).toFixed(1).padStart(6)}× baseline   ${String(rows).padStart(3)} rows`;
  console.log(`\n${iterations} timed pages of 50 per query after 3 warm-up pages (server time: the listAuditEvents call, Prisma included)`);
  console.log(row("baseline: raw SELECT, one environment, no filter", baseline, 50));
  let worst = 0;
  for (const { name, params } of cases) {
    const query = AuditPageQuerySchema.parse(params);
    let page: Awaited<ReturnType<typeof listAuditEvents>> | undefined;
    const times = await timeIt(async () => (page = await listAuditEvents(db, prod.id, query, now)));
    worst = Math.max(worst, percentile(times, 0.5));
    // A text search that pauses says how far back this page got; the next page goes on from there.
    const paused = page?.searchedBackTo ? `   (search paused ${((now.getTime() - Date.parse(page.searchedBackTo)) / 3_600_000).toFixed(1)} h back; the next page continues)` : "";
    console.log(row(name, times, page?.rows.length ?? 0) + paused);
  }
  pass = worst < TARGET_MS;
  console.log(`\nslowest page p50 ${worst.toFixed(1)} ms on ${fmt(events)} events (target < ${TARGET_MS} ms on 10,000,000) ${pass ? "PASS" : "FAIL"}`);
} finally {
  await raw.end().catch(() => {});
  await database.close();
}
process.exit(pass ? 0 : 1);
