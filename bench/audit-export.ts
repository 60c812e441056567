/**
 * Benchmark of the audit export (design §6: 1,000,000 rows streamed as CSV at
 * ≥ 100,000 rows/s with RSS growth < 100 MB). Fills the trail with N events
 * in SQL (bench/audit-fill.ts), then drains exportAuditEvents (CSV, every
 * event of the environment) into a null sink while sampling the process's
 * RSS, against a baseline in the same run: a raw `pg` server-side cursor
 * reading the same rows and columns into the same null sink, no formatting.
 *
 *   npm run bench:audit-export [-- --events 1000000 --format csv|jsonl --pglite]
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { EXPORT_COLUMNS, exportAuditEvents, type ExportFormat } from "@/lib/audit/export";
import { AuditFilterSchema } from "@/lib/audit/query";
import { fillAuditTrail } from "./audit-fill";
import { fmt, openBenchDatabase } from "./audit-setup";

const { values } = parseArgs({
  options: { events: { type: "string", default: "1000000" }, format: { type: "string", default: "csv" }, pglite: { type: "boolean", default: false } },
});
const events = Number(values.events);
const format = values.format as ExportFormat;
const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_RSS_GROWTH_MB = 100;

const database = await openBenchDatabase({ pglite: values.pglite, poolMax: 4 });
const { db } = database;
const raw = new pg.Client({ connectionString: database.url });
let pass = false;

/** Samples RSS every 20 ms while `run` goes; returns its growth over the RSS at the start. */
async function withRss<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; startMb: number; peakMb: number; growthMb: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return { result, seconds, startMb: mb(start), peakMb: mb(peak), growthMb: mb(peak - start) };
}

try {
  await raw.connect();
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  console.log(`database: ${database.label}`);
  console.log(`filling ${fmt(events)} events in one environment (synthetic hashes)`);
  await fillAuditTrail(raw, [environment], events, { now: new Date(), log: console.log });
  const filters = AuditFilterSchema.parse({ range: "all" });

  const exportAll = async () => {
    let bytes = 0;
    let lines = 0;
    for await (const chunk of exportAuditEvents(db, environment.id, filters, format)) {
      bytes += Buffer.byteLength(chunk);
      for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) lines++;
    }
    return { bytes, rows: format === "csv" ? lines - 1 : lines };
  };
  const cursorAll = async () => {
    const columns = EXPORT_COLUMNS.map((column) => `"${column}"`).join(", ");
    let rows = 0;
    await raw.query("BEGIN");
    await raw.query(`DECLARE export_baseline NO SCROLL CURSOR FOR SELECT ${columns} FROM "AuditEvent" WHERE "environmentId" = $1 ORDER BY "ts" DESC, "id" DESC`, [environment.id]);
    for (;;) {
      const batch = await raw.query("FETCH 2000 FROM export_baseline");
      rows += batch.rows.length;
      if (batch.rows.length < 2000) break;
    }
    await raw.query("COMMIT");
    return { rows };
  };

  // A short warm-up of both paths (the plans, the JIT), then the measurements: export first, so its RSS is not the baseline's leftovers.
  await cursorAll();
  const exported = await withRss(exportAll);
  const baseline = await withRss(cursorAll);
  const exportRate = exported.result.rows / exported.seconds;
  const baselineRate = baseline.result.rows / baseline.seconds;
  console.log(`\nraw pg cursor, FETCH 2000 (baseline)  ${fmt(baselineRate).padStart(9)} rows/s   ${fmt(baseline.result.rows)} rows in ${baseline.seconds.toFixed(2)} s   RSS +${baseline.growthMb.toFixed(0)} MB`);
  console.log(
    `exportAuditEvents (${format})             ${fmt(exportRate).padStart(9)} rows/s   ${fmt(exported.result.rows)} rows in ${exported.seconds.toFixed(2)} s   ` +
      `${(exported.result.bytes / 1024 / 1024).toFixed(0)} MB of ${format}   RSS ${exported.startMb.toFixed(0)} → peak ${exported.peakMb.toFixed(0)} MB (+${exported.growthMb.toFixed(0)} MB)`,
  );
  console.log(`ratio export / raw cursor: ${((exportRate / baselineRate) * 100).toFixed(1)}%`);
  const complete = exported.result.rows === events && baseline.result.rows === events;
  pass = complete && exportRate >= TARGET_ROWS_PER_SECOND && exported.growthMb < TARGET_RSS_GROWTH_MB;
  console.log(
    `export: ${fmt(exportRate)} rows/s (target ≥ ${fmt(TARGET_ROWS_PER_SECOND)}), RSS growth ${exported.growthMb.toFixed(0)} MB (target < ${TARGET_RSS_GROWTH_MB} MB)` +
      `${complete ? "" : `, INCOMPLETE: ${exported.result.rows} rows`} ${pass ? "PASS" : "FAIL"}`,
  );
} finally {
  await raw.end().catch(() => {});
  await database.close();
}
process.exit(pass ? 0 : 1);
