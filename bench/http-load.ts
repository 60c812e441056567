import { Agent, request } from "node:http";

/**
 * A small keep-alive load generator: `concurrency` loops issue GETs for
 * `durationMs` and count completed responses. Both servers of a comparison
 * are measured with it in the same process, so the ratio holds even on a
 * noisy machine where the absolute numbers do not.
 */
export async function measureRequestsPerSecond(
  url: string,
  options: { headers?: Record<string, string>; concurrency?: number; durationMs?: number; expectStatus: number },
): Promise<{ requestsPerSecond: number; count: number; unexpected: number }> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 50 });
  const deadline = Date.now() + (options.durationMs ?? 5_000);
  let count = 0;
  let unexpected = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, agent, headers: options.headers }, (res) => {
        if (res.statusCode !== options.expectStatus) unexpected++;
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: options.concurrency ?? 50 }, async () => {
      while (Date.now() < deadline) {
        await once();
        count++;
      }
    }),
  );
  agent.destroy();
  return { requestsPerSecond: Math.round(count / ((Date.now() - started) / 1000)), count, unexpected };
}

export type LoadResult = { requestsPerSecond: number; count: number; unexpected: number; statuses: Record<string, number>; bytes: number; p50Ms: number; p99Ms: number; maxMs: number };

/**
 * Like measureRequestsPerSecond, and also records each response's latency
 * (first byte sent to last byte read). With `tokens`, connection i sends
 * `Authorization: Bearer tokens[i % tokens.length]`: many API keys, as many
 * fleets would, each within its own rate limit.
 */
export async function measureLoad(
  url: string,
  options: { headers?: Record<string, string>; tokens?: string[]; concurrency?: number; durationMs?: number; expectStatus: number },
): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 50 });
  const deadline = Date.now() + (options.durationMs ?? 5_000);
  const latencies: number[] = [];
  let unexpected = 0;
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const headersOf = (connection: number) => (options.tokens?.length ? { ...options.headers, authorization: `Bearer ${options.tokens[connection % options.tokens.length]}` } : options.headers);
  const once = (headers: Record<string, string> | undefined) =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, agent, headers }, (res) => {
        if (res.statusCode !== options.expectStatus) unexpected++;
        statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          resolve();
        });
      });
      req.on("error", reject);
      req.end();
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: options.concurrency ?? 50 }, async (_, connection) => {
      const headers = headersOf(connection);
      while (Date.now() < deadline) await once(headers);
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2));
  return { requestsPerSecond: Math.round(latencies.length / ((Date.now() - started) / 1000)), count: latencies.length, unexpected, statuses, bytes, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

// Run as a separate process (the load generator must not share the server's event loop):
//   node --import tsx bench/http-load.ts '{"url":…,"expectStatus":304,…}'  → prints one JSON LoadResult
if (process.argv[1]?.endsWith("http-load.ts") && process.argv[2]) {
  const input = JSON.parse(process.argv[2]) as { url: string; headers?: Record<string, string>; tokens?: string[]; concurrency?: number; durationMs?: number; expectStatus: number };
  void measureLoad(input.url, input).then((result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}
