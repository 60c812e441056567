import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

// A test-only certificate authority and a certificate for localhost /
// 127.0.0.1 / ::1 that it signed. They protect nothing: they exist so tests
// can serve HTTPS on loopback and make the fetcher trust exactly that.
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
export const TEST_CA = readFileSync(here("./ca.pem"));
const key = readFileSync(here("./localhost.key"));
const cert = readFileSync(here("./localhost.pem"));

export type FixtureRoute = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 whose paths answer as the test decides. */
export async function startHttpsFixture(routes: Record<string, FixtureRoute>, port = 0): Promise<{ origin: string; port: number; close: () => Promise<void>; server: Server }> {
  const server = createServer({ key, cert }, (req, res) => {
    const route = routes[(req.url ?? "/").split("?")[0]!];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `https://localhost:${bound}`,
    port: bound,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
