import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDataPlaneHandler, type DataPlaneOptions } from "./handler";

/** The data plane on a loopback port, as an MCP server would reach it; for tests and benchmarks. */
export async function serveDataPlane(options: DataPlaneOptions) {
  const plane = createDataPlaneHandler({ refreshMs: 60_000, flushMs: 60_000, approvalSweepMs: 60_000, ...options });
  await plane.refresh();
  // A handler that throws is answered 500, as server.ts does, so a test sees the failure instead of waiting for it.
  const server = createServer((req, res) =>
    void plane.handle(req, res).then(
      (handled) => handled || res.writeHead(404).end(),
      (error: unknown) => {
        console.error("[warden] request failed", error);
        if (res.headersSent) res.end();
        else res.writeHead(500).end("Internal error");
      },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (path: string, init: { token?: string; method?: string; headers?: Record<string, string>; body?: BodyInit } = {}) =>
    fetch(`${base}${path}`, {
      method: init.method ?? "GET",
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
      body: init.body,
    });
  return {
    plane,
    base,
    call,
    close: async () => {
      plane.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
