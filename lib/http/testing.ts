import { createServer } from "node:net";

/**
 * A loopback port nobody listens on, for processes a test or benchmark starts
 * with a fixed address (HAProxy's configuration, a data plane). Above 40000,
 * clear of the fixed ports the end-to-end suite uses.
 */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = 40_001 + Math.floor(Math.random() * 20_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
