/**
 * The data plane alone: the same node:http handler that server.ts puts in
 * front of Next.js (/api/v1/config, /keys, /audit-events, /approvals, /clients/intake, /tool-drift,
 * /token and /issuers/<env>/jwks with its RFC 8414 metadata,
 * /healthz and /readyz),
 * as its own process, so operators can scale it apart from the admin UI.
 * Run as many as needed, all on the dashboard's PostgreSQL; each keeps the
 * latest published versions in memory and picks up new ones within about a
 * second, so answering an unchanged config (304) never touches the database.
 *
 *   DATABASE_URL=postgres://… WARDEN_ENCRYPTION_KEY=… PORT=3100 npm run data-plane
 *
 * It does not migrate the database or create signing keys: the dashboard
 * (server.ts) owns both, so start it once first.
 */
import { peerAddress } from "@/lib/http/client-ip";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CLIENT_IP_HEADER } from "@/lib/auth/request-context";
import { fetchSettingsFromEnv } from "@/lib/clients/fetch-settings";
import { runtimeSigner } from "@/lib/config/runtime-signer";
import { createDataPlaneHandler } from "@/lib/data-plane/handler";
import { disconnectDb, getDb } from "@/lib/db/client";

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? "127.0.0.1";
const trustProxy = process.env.WARDEN_TRUST_PROXY === "true";

function log(message: string) {
  console.log(`[warden-data-plane] ${message}`);
}

async function main() {
  if (!process.env.DATABASE_URL) throw new Error("Set DATABASE_URL to the PostgreSQL database the dashboard uses.");
  if (!process.env.WARDEN_ENCRYPTION_KEY) throw new Error("Set WARDEN_ENCRYPTION_KEY to the dashboard's value: configs are signed with the key it protects.");
  fetchSettingsFromEnv();
  // Fails early, with a clear message, when the dashboard has never run on this database.
  await runtimeSigner(getDb());

  const dataPlane = createDataPlaneHandler({ db: getDb, signer: () => runtimeSigner(getDb()), fetchSettings: fetchSettingsFromEnv });
  await dataPlane.refresh();

  const server = createServer(async (req, res) => {
    try {
      req.headers[CLIENT_IP_HEADER] = peerAddress(req, trustProxy);
      res.setHeader("X-Content-Type-Options", "nosniff");
      if (await dataPlane.handle(req, res)) return;
      res.writeHead(404, { "Content-Type": "application/json; charset=utf-8" }).end(JSON.stringify({ error: "Not a data-plane endpoint. The dashboard serves everything else." }));
    } catch (error) {
      console.error("[warden-data-plane] request failed", error);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Internal error");
    }
  });
  server.listen(port, host, () => {
    const address = server.address() as AddressInfo;
    log(`serving the data plane on http://${host}:${address.port}`);
  });

  const shutdown = async (signal: string) => {
    log(`${signal}: shutting down`);
    dataPlane.close();
    server.close();
    server.closeAllConnections();
    await dataPlane.flushInstanceReports().catch(() => undefined);
    await disconnectDb();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error("[warden-data-plane] failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
