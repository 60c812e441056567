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
