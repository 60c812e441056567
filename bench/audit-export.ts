/**
 * Benchmark of the audit export (design §6: 1,000,000 rows streamed as CSV at
 * ≥ 1.0× a raw `pg` cursor with RSS growth < 100 MB), alternating Warden and
 * the cursor over at least three rounds. Fills the trail with N events
 * in SQL (bench/audit-fill.ts), then drains exportAuditEvents (CSV, every
 * event of the environment) into a null sink while sampling the process's
 * RSS, against a baseline in the same run: a raw `pg` server-side cursor
 * reading the same rows and columns into the same null sink, no formatting.
 *
 *   npm run bench:audit-export [-- --events 1000000 --rounds 3 --format csv|jsonl --pglite]
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { EXPORT_COLUMNS, exportAuditEvents, type ExportFormat } from "@/lib/audit/export";
import { AuditFilterSchema } from "@/lib/audit/query";
import { fillAuditTrail } from "./audit-fill";
import { fmt, openBenchDatabase } from "./audit-setup";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    format: { type: "string", default: "csv" },
    pglite: { type: "boolean", default: false },
  },
});
const events = Number(values.events);
const format = values.format as ExportFormat;
const rounds = Math.max(3, Number(values.rounds));
/** Design §6: at least as fast as a raw `pg` cursor over the same rows (≥ 100,000 rows/s on a quiet machine). */
const TARGET_RATIO = 1.0;
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

  // A warm-up of the baseline (the plans, the JIT), then Warden (A) and the
  // raw cursor (B) alternately, so drift in the machine's load hits both; the
  // median ratio decides. Export goes first in each round, so its RSS is not
  // the baseline's leftovers; the largest growth of any round counts.
  await cursorAll();
  const ratios: number[] = [];
  let growthMb = 0;
  let complete = true;
  for (let round = 1; round <= rounds; round++) {
    const exported = await withRss(exportAll);
    const baseline = await withRss(cursorAll);
    const exportRate = exported.result.rows / exported.seconds;
    const baselineRate = baseline.result.rows / baseline.seconds;
    ratios.push(exportRate / baselineRate);
    growthMb = Math.max(growthMb, exported.growthMb);
    complete &&= exported.result.rows === events && baseline.result.rows === events;
    console.log(
      `round ${round}  A exportAuditEvents (${format}) ${fmt(exportRate).padStart(9)} rows/s, ${(exported.result.bytes / 1024 / 1024).toFixed(0)} MB, RSS ${exported.startMb.toFixed(0)} → peak ${exported.peakMb.toFixed(0)} MB (+${exported.growthMb.toFixed(0)} MB)` +
        `   B raw pg cursor, FETCH 2000 ${fmt(baselineRate).padStart(9)} rows/s   ratio ${ratios.at(-1)!.toFixed(2)}`,
    );
  }
  const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  pass = complete && ratio >= TARGET_RATIO && growthMb < TARGET_RSS_GROWTH_MB;
  console.log(
    `export: median ${ratio.toFixed(2)}× the raw cursor (target ≥ ${TARGET_RATIO.toFixed(1)}×), RSS growth at most ${growthMb.toFixed(0)} MB (target < ${TARGET_RSS_GROWTH_MB} MB)` +
      `${complete ? "" : ", INCOMPLETE"} ${pass ? "PASS" : "FAIL"}`,
  );
} finally {
  await raw.end().catch(() => {});
  await database.close();
}
process.exit(pass ? 0 : 1);
