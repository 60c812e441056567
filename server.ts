/**
 * Warden's process: one node:http server in front of Next.js.
 * - Resolves the database (DATABASE_URL, or the embedded PGlite under ./data),
 *   applies pending migrations and prepares the first owner.
 * - Serves the data plane (lib/data-plane) directly, and hands everything else
 *   to Next's request handler.
 * - Sets the security headers on every response, whichever side answers.
 */
import { peerAddress } from "@/lib/http/client-ip";
import { createRequestGate } from "@/lib/http/request-gate";
import { createServer, type IncomingMessage } from "node:http";
import { resolve } from "node:path";
import type { TLSSocket } from "node:tls";
import next from "next";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { disconnectDb, getDb } from "@/lib/db/client";
import { ensureDefaultEnvironments } from "@/lib/environments/environments";
import { bootstrapFirstOwner } from "@/lib/auth/bootstrap";
import { readOidcSettings } from "@/lib/auth/settings";
import { CLIENT_IP_HEADER } from "@/lib/auth/request-context";
import { newNonce, securityHeaders } from "@/lib/http/security-headers";
import { loadRuntimeSecrets } from "@/lib/runtime/secrets";
import { createDataPlaneHandler } from "@/lib/data-plane/handler";
import { fetchSettingsFromEnv } from "@/lib/clients/fetch-settings";
import { recheckDueClients } from "@/lib/clients/recheck";
import { applyAllAuditRetention } from "@/lib/audit/retention";
import { checkReportedDecisions } from "@/lib/impact/reported-check";
import { rollUpDecisions } from "@/lib/impact/rollup";
import { LOGO_CONTENT_SECURITY_POLICY, LOGO_ROUTE_PREFIX } from "@/lib/clients/logo";
import { ensureSigningKey } from "@/lib/config/signing-keys";
import { runtimeEncryptionKey, runtimeSigner } from "@/lib/config/runtime-signer";
import { startNotificationWorkers } from "@/lib/notifications/start";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const dataDir = resolve(process.env.WARDEN_DATA_DIR ?? "data");
const trustProxy = process.env.WARDEN_TRUST_PROXY === "true";

function log(message: string) {
  console.log(`[warden] ${message}`);
}

async function main() {
  const fromFile = loadRuntimeSecrets(resolve(dataDir, "secrets.json"));
  if (fromFile.length) log(`using generated secrets from ${resolve(dataDir, "secrets.json")} for ${fromFile.join(", ")}; set them in the environment when running more than one instance`);

  let stopEmbedded: (() => Promise<void>) | undefined;
  let engineConnections: number | undefined;
  if (!process.env.DATABASE_URL) {
    const embedded = await startEmbeddedDatabase({ dataDir: resolve(dataDir, "pglite") });
    stopEmbedded = embedded.stop;
    process.env.DATABASE_URL = embedded.url;
    process.env.WARDEN_DB_POOL_MAX = String(embedded.poolMax);
    engineConnections = embedded.poolMax;
    log(`embedded database in ${resolve(dataDir, "pglite")} (set DATABASE_URL to use PostgreSQL)`);
  }
  const databaseUrl = process.env.DATABASE_URL;

  const applied = await applyPendingMigrations(databaseUrl, { engineConnections });
  if (applied.length) log(`applied migrations: ${applied.join(", ")}`);

  const publicUrl = process.env.NEXTAUTH_URL ?? `http://localhost:${port}`;
  process.env.NEXTAUTH_URL = publicUrl;
  const oidc = readOidcSettings();
  // Refuses test-only fetch settings outside tests before anything is served.
  fetchSettingsFromEnv();

  const db = getDb();
  await ensureDefaultEnvironments(db);
  await ensureSigningKey(db, runtimeEncryptionKey());
  const bootstrap = await bootstrapFirstOwner(db);
  if (bootstrap.kind === "owner-created") log(`created the first owner ${bootstrap.email} from WARDEN_ADMIN_EMAIL`);

  const app = next({ dev, dir: process.cwd(), hostname: host, port });
  await app.prepare();
  const handleNext = app.getRequestHandler();
  const dataPlane = createDataPlaneHandler({ db: getDb, signer: () => runtimeSigner(getDb()), fetchSettings: fetchSettingsFromEnv });
  await dataPlane.refresh();
  const admitToNext = createRequestGate({ publicUrl, trustProxy });

  const server = createServer(async (req, res) => {
    try {
      req.headers[CLIENT_IP_HEADER] = peerAddress(req, trustProxy);
      const https = isHttps(req);
      const nonce = newNonce();
      const headers = securityHeaders({ nonce, dev, https, extraFormActions: oidc ? [new URL(oidc.issuer).origin] : [] });
      // Next.js keeps a header set here over the route's own, and a stored
      // logo is served under a stricter policy than pages (lib/clients/logo.ts).
      const pagePolicy = req.url?.startsWith(LOGO_ROUTE_PREFIX) ? { "Content-Security-Policy": LOGO_CONTENT_SECURITY_POLICY } : {};
      for (const [name, value] of Object.entries({ ...headers, ...pagePolicy })) res.setHeader(name, value);
      // Next.js takes the nonce for its scripts from the request's CSP header.
      req.headers["content-security-policy"] = headers["Content-Security-Policy"];
      req.headers["x-nonce"] = nonce;

      if (await dataPlane.handle(req, res)) return;
      const admitted = await admitToNext(req, res);
      if (admitted) await handleNext(admitted, res);
    } catch (error) {
      console.error("[warden] request failed", error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
      }
      res.end("Internal error");
    }
  });

  server.listen(port, host, () => {
    log(`dashboard on ${publicUrl}`);
    if (bootstrap.kind === "setup-link") {
      log("no admin exists yet. Open this one-time link to create the first owner (valid 24 hours):");
      log(`  ${publicUrl}/setup?token=${bootstrap.token}`);
    }
  });

  const recheckMinutes = Number(process.env.WARDEN_CLIENT_RECHECK_MINUTES ?? 5);
  const recheck =
    recheckMinutes > 0
      ? setInterval(() => {
          recheckDueClients(getDb(), fetchSettingsFromEnv())
            .then((summary) => summary.checked && log(`re-checked ${summary.checked} client(s): ${summary.backToReview} back to review, ${summary.failed} failed`))
            .catch((error: unknown) => console.error("[warden] client re-check failed", error));
        }, recheckMinutes * 60_000)
      : undefined;
  recheck?.unref();

  // Retention is off unless an owner sets a period; several instances running it at once is safe (chain lock).
  const runRetention = () =>
    applyAllAuditRetention(getDb())
      .then((results) => results.filter((result) => result.deleted).forEach((result) => log(`audit retention removed ${result.deleted} event(s) from ${result.environment}`)))
      .catch((error: unknown) => console.error("[warden] audit retention failed", error));
  const retention = setInterval(runRetention, 60 * 60_000);
  retention.unref();
  setTimeout(runRetention, 60_000).unref();

  // Webhook deliveries (and audit streaming): every instance runs them; leases keep them from overlapping.
  const notifications = startNotificationWorkers({ db: getDb, encryptionKey: runtimeEncryptionKey, publicUrl, log });
  // Re-decides what MCP servers report against the config version each event names, and rolls them up by day for the
  // impact preview; bounded per pass, one instance at a time.
  const decisionCheckSeconds = Number(process.env.WARDEN_DECISION_CHECK_SECONDS ?? 15);
  let decisionCheckRunning = false;
  const decisionCheck =
    decisionCheckSeconds > 0
      ? setInterval(() => {
          if (decisionCheckRunning) return;
          decisionCheckRunning = true;
          checkReportedDecisions(getDb())
            .then((result) => result.flagged && log(`flagged ${result.flagged} reported decision(s) their config version would not have made`))
            .catch((error: unknown) => console.error("[warden] reported-decision check failed", error))
            // The same new events feed the impact preview's daily rollup; until they do, the preview reads them one by one.
            .then(() => rollUpDecisions(getDb()))
            .catch((error: unknown) => console.error("[warden] decision rollup failed", error))
            .finally(() => (decisionCheckRunning = false));
        }, decisionCheckSeconds * 1_000)
      : undefined;
  decisionCheck?.unref();

  const shutdown = async (signal: string) => {
    log(`${signal}: shutting down`);
    await notifications.stop();
    if (recheck) clearInterval(recheck);
    clearInterval(retention);
    if (decisionCheck) clearInterval(decisionCheck);
    dataPlane.close();
    await dataPlane.flushInstanceReports().catch(() => undefined);
    server.close();
    server.closeAllConnections();
    await app.close?.();
    await disconnectDb();
    await stopEmbedded?.();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  return trustProxy && req.headers["x-forwarded-proto"] === "https";
}

main().catch((error) => {
  console.error("[warden] failed to start:", error instanceof Error ? error.message : error);
  if (process.env.WARDEN_DEBUG) console.error(error);
  process.exit(1);
});
