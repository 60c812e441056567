/**
 * Benchmark of audit streaming: does streaming to an OTLP/HTTP collector keep
 * up with ingestion at the ingest benchmark's rate? Alternating rounds, on the
 * same database and machine:
 *   A  ingestion alone: batches of 1,000 events posted to POST /api/v1/audit-events
 *      by several senders in a second process (as bench:audit-ingest does);
 *   B  streaming alone: the stream worker sends the backlog A stored to a local
 *      OTLP/HTTP logs receiver (which reads and discards the bodies), until the
 *      lag is zero.
 * The median ratio of streamed to ingested events/s must be ≥ 1.0. A last,
 * concurrent round ingests while the stream runs and reports how far behind
 * the stream was when ingestion ended and how long it took to catch up.
 *
 *   npm run bench:audit-stream [-- --batches 100 --rounds 3 --concurrency 4 --encoding JSON|PROTOBUF --pglite]
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs, promisify } from "node:util";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { auditStreamStatus } from "@/lib/audit-stream/stream";
import { startAuditStreamWorker } from "@/lib/audit-stream/worker";
import { loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { serveDataPlane } from "@/lib/data-plane/testing";
import { fmt, openBenchDatabase } from "./audit-setup";
import type { IngestLoadInput, IngestLoadResult } from "./audit-ingest-load";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    "batch-size": { type: "string", default: "1000" },
    concurrency: { type: "string", default: "4" },
    encoding: { type: "string", default: "JSON" },
    pglite: { type: "boolean", default: false },
  },
});
const batches = Number(values.batches);
const batchSize = Number(values["batch-size"]);
const concurrency = Number(values.concurrency);
const rounds = Math.max(3, Number(values.rounds));
const encoding = values.encoding === "PROTOBUF" ? "PROTOBUF" : "JSON";
const TARGET_RATIO = 1.0;
const KEY = encryptionKeyFrom("benchmark-only encryption key, 32+ chars");

const database = await openBenchDatabase({ pglite: values.pglite });
const { db } = database;
// The collector: reads each request to the end and accepts it, as an OTLP receiver would before processing.
let receivedBytes = 0;
const collector = createServer((req, res) => {
  req.on("data", (chunk: Buffer) => (receivedBytes += chunk.length));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
});
await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/logs`;

try {
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await db.admin.create({ data: { email: "bench@example.com", role: "OWNER" } });
  const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
  const { token } = await createApiKey(db, { id: admin.id, email: admin.email }, environment.id, CreateApiKeySchema.parse({ label: "bench", serverId: server.id }));
  const plane = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, KEY) });
  await db.auditStream.create({ data: { environmentId: environment.id, endpoint, encoding, enabled: false } });
  const worker = startAuditStreamWorker({ db: () => db, encryptionKey: () => KEY, policy: { allowPrivate: true, timeoutMs: 30_000, maxResponseBytes: 1024 }, pollMs: 3_600_000 });

  async function httpIngest(batchCount: number, seed: number): Promise<IngestLoadResult> {
    const input: IngestLoadInput = { url: plane.base, token, server: "sales", batches: batchCount, batchSize, concurrency, seed };
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/audit-ingest-load.ts", JSON.stringify(input)], { maxBuffer: 1024 * 1024 });
    return JSON.parse(stdout.trim().split("\n").pop()!) as IngestLoadResult;
  }

  /** Streams until nothing is behind; returns events streamed and seconds taken. */
  async function drain() {
    const before = await db.auditStream.findUniqueOrThrow({ where: { environmentId: environment.id }, select: { streamedCount: true } });
    const started = process.hrtime.bigint();
    for (;;) {
      await worker.runOnce();
      const status = await auditStreamStatus(db, environment.id);
      if (!status || status.behind === 0) break;
      if (status.lastError) throw new Error(`streaming failed: ${status.lastError}`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await db.auditStream.findUniqueOrThrow({ where: { environmentId: environment.id }, select: { streamedCount: true } });
    const events = Number(after.streamedCount - before.streamedCount);
    return { events, seconds, eventsPerSecond: Math.round(events / seconds) };
  }

  const settle = async () => {
    await db.$executeRawUnsafe(`TRUNCATE "AuditEvent"; DELETE FROM "AuditChainHead"`);
    await db.auditStream.update({ where: { environmentId: environment.id }, data: { cursor: {}, enabled: false, leaseUntil: null } });
  };

  console.log(`database: ${database.label}`);
  console.log(`load: ${fmt(batches)} batches of ${fmt(batchSize)} events per round, ${concurrency} concurrent senders; stream encoding ${encoding}`);
  // Warm up both paths.
  await settle();
  await httpIngest(Math.min(5, batches), 1);
  await db.auditStream.update({ where: { environmentId: environment.id }, data: { enabled: true } });
  await drain();

  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    await settle();
    const ingest = await httpIngest(batches, 10 + round);
    await db.auditStream.update({ where: { environmentId: environment.id }, data: { enabled: true } });
    const stream = await drain();
    if (stream.events !== ingest.accepted) throw new Error(`streamed ${stream.events} events of ${ingest.accepted} ingested`);
    ratios.push(stream.eventsPerSecond / ingest.eventsPerSecond);
    console.log(
      `round ${round}  A ingest ${fmt(ingest.eventsPerSecond).padStart(8)} events/s (${fmt(ingest.accepted)} accepted)   B stream ${fmt(stream.eventsPerSecond).padStart(8)} events/s (${fmt(stream.events)} in ${stream.seconds.toFixed(1)} s)   ratio ${ratios.at(-1)!.toFixed(2)}`,
    );
  }
  const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;

  // Both at once, as in production: how far behind is the stream when ingestion stops?
  await settle();
  await db.auditStream.update({ where: { environmentId: environment.id }, data: { enabled: true } });
  let streaming = true;
  const background = (async () => {
    while (streaming) {
      if ((await worker.runOnce()) === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const ingest = await httpIngest(batches, 99);
  const behindAtEnd = (await auditStreamStatus(db, environment.id))?.behind ?? 0;
  const catchUpStarted = Date.now();
  while (((await auditStreamStatus(db, environment.id))?.behind ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  streaming = false;
  await background;
  console.log(
    `concurrent: ingest ${fmt(ingest.eventsPerSecond)} events/s while streaming; ${fmt(behindAtEnd)} events behind when ingestion ended, caught up ${((Date.now() - catchUpStarted) / 1000).toFixed(1)} s later (${fmt(Math.round(receivedBytes / 1024 / 1024))} MiB received in all)`,
  );

  const pass = ratio >= TARGET_RATIO;
  console.log(`median ratio streamed / ingested events/s: ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×) ${pass ? "PASS" : "FAIL"}`);
  await worker.stop();
  await plane.close();
  collector.close();
  await database.close();
  process.exit(pass ? 0 : 1);
} catch (error) {
  collector.close();
  await database.close().catch(() => {});
  throw error;
}
