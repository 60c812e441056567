/**
 * The sending side of bench/audit-ingest.ts, run as its own process so the
 * senders never compete with the data plane for its event loop. It prepares
 * every batch first (JSON, gzip, Idempotency-Key, as the SDK sends them),
 * then posts them from `concurrency` keep-alive connections and times only
 * the sending.
 *
 *   node --import tsx bench/audit-ingest-load.ts '{"url":…,"token":…,"batches":200,"batchSize":1000,"concurrency":4}'
 *   → prints one JSON IngestLoadResult
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { gzipSync } from "node:zlib";
import { seededRandom } from "./audit-setup";
import { sentEvent } from "./audit-events";

export type IngestLoadInput = { url: string; token: string; server: string; batches: number; batchSize: number; concurrency: number; seed: number };
export type IngestLoadResult = {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failedRequests: number;
  p50Ms: number;
  p99Ms: number;
  bodyBytes: number;
};

export async function sendBatches(input: IngestLoadInput): Promise<IngestLoadResult> {
  const random = seededRandom(input.seed);
  const bodies = Array.from({ length: input.batches }, () =>
    gzipSync(JSON.stringify({ events: Array.from({ length: input.batchSize }, () => sentEvent(random, input.server)) })),
  );
  const target = new URL("/api/v1/audit-events", input.url);
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  let failedRequests = 0;
  const latencies: number[] = [];
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: {
            authorization: `Bearer ${input.token}`,
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": body.length,
            "idempotency-key": randomUUID(),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (res.statusCode !== 202) {
              failedRequests++;
              if (failedRequests <= 3) console.error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`);
              return resolve();
            }
            const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { accepted: number; duplicates: number; rejected: unknown[] };
            accepted += answer.accepted;
            duplicates += answer.duplicates;
            rejected += answer.rejected.length;
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < bodies.length) await post(bodies[next++]!);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1));
  const events = input.batches * input.batchSize;
  return {
    events,
    seconds: Number(seconds.toFixed(3)),
    eventsPerSecond: Math.round(accepted / seconds),
    accepted,
    duplicates,
    rejected,
    failedRequests,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    bodyBytes: bodies.reduce((sum, body) => sum + body.length, 0),
  };
}

if (process.argv[1]?.endsWith("audit-ingest-load.ts") && process.argv[2]) {
  void sendBatches(JSON.parse(process.argv[2]) as IngestLoadInput).then((result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}
