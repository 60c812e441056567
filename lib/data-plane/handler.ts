import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@/lib/db/client";
import { createApiKeyVerifier, KEY_OUTAGE_GRACE_MS } from "@/lib/api-keys/api-keys";
import { DEFAULT_API_KEY_RATE, loadApiKeyRateLimits, type ApiKeyRateLimit } from "@/lib/api-keys/rate-limits";
import { createOutageLog, DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "@/lib/db/availability";
import { publicJwks, type Signer } from "@/lib/config/signing-keys";
import { createConfigFeed } from "./config-feed";
import { chooseContentCoding } from "./content-coding";
import { createInstanceReporter } from "./instance-reports";
import { createRateLimiter } from "./rate-limit";
import { readNodeJsonBody } from "./read-body";
import { createIdempotencyCache } from "./idempotency";
import { z } from "zod";
import { IngestBodySchema, ingestAuditEvents, MAX_EVENT_DEPTH, MAX_EVENTS_PER_REQUEST, MAX_INFLATED_BYTES, MAX_REQUEST_BYTES } from "@/lib/audit/ingest";
import { safeString } from "@/lib/input/rules";
import { intakeClient } from "@/lib/clients/intake";
import { FetchRefusal } from "@/lib/clients/safe-fetch";
import type { FetchSettings } from "@/lib/clients/preview";
import { expireDueApprovals } from "@/lib/approvals/approval-requests";
import { createApprovalRoutes } from "./approval-routes";
import { createTokenExchangeRoutes, type TokenExchangeOptions } from "./token-exchange";
import { createToolDriftRoute } from "./tool-drift";

export type DataPlaneOptions = {
  db: () => Db;
  signer: () => Promise<Signer>;
  /** How often the latest published versions, the state of the keys in memory and the rate limits are re-read (the 304 path never reads). */
  refreshMs?: number;
  flushMs?: number;
  /** How often requests past their expiry are turned into EXPIRED (and audited); reads also expire them on the spot. */
  approvalSweepMs?: number;
  /** How client metadata is fetched when a reported client's domain is trusted. */
  fetchSettings?: () => FetchSettings;
} & TokenExchangeOptions;

const IntakeSchema = z.object({ clientId: safeString().trim().min(1).max(2_048) }).strict();

const AUTH_CHALLENGE = { "WWW-Authenticate": 'Bearer realm="warden"' };
const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * The endpoints MCP servers and load balancers call at fleet scale, answered
 * by plain node:http outside Next's request pipeline. This module never
 * imports React or Next, so it can also run alone as its own process.
 * `handle` returns false for any path it does not own.
 *
 * While the database is unreachable, config is still served from memory to
 * keys verified before (for up to KEY_OUTAGE_GRACE_MS); whatever needs the
 * database answers 503 with Retry-After.
 */
export function createDataPlaneHandler(options: DataPlaneOptions) {
  const db = options.db();
  const verifyKey = createApiKeyVerifier(db);
  const feed = createConfigFeed(db, options.signer);
  const instances = createInstanceReporter(db);
  const takeToken = createRateLimiter();
  let rateLimits = new Map<string, ApiKeyRateLimit>();
  const idempotent = createIdempotencyCache();
  const revisionOutage = createOutageLog("config and key refresh");

  /** The revision tick: new versions, revoked or expired keys, changed limits; three small queries. */
  async function refresh(): Promise<void> {
    await feed.refresh();
    await verifyKey.refresh();
    rateLimits = await loadApiKeyRateLimits(db);
  }

  let closed = false;
  /** Runs a periodic job without overlapping itself, logging an outage once rather than every tick. */
  function every(ms: number, what: string, job: () => Promise<unknown>, outage = createOutageLog(what)) {
    let running = false;
    return setInterval(() => {
      if (running) return;
      running = true;
      job()
        // A job still running at close() may fail as the database goes with it: not an outage.
        .then(() => outage.succeeded(), (error: unknown) => closed || outage.failed(error))
        .finally(() => (running = false));
    }, ms);
  }

  const timers = [
    every(options.refreshMs ?? 1_000, "config and key refresh", refresh, revisionOutage),
    every(options.flushMs ?? 5_000, "fleet report", instances.flush),
    every(options.approvalSweepMs ?? 5_000, "approval expiry", () => expireDueApprovals(db)),
  ];
  const approvals = createApprovalRoutes(db, authenticate, sendJson);
  const tokenRoutes = createTokenExchangeRoutes(db, feed, authenticate, sendJson, options);
  const toolDrift = createToolDriftRoute(db, authenticate, sendJson);
  for (const timer of timers) timer.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      return await route(req, res);
    } catch (error) {
      // One answer for everything that needed the database while it is away: come back later.
      if (!isDatabaseUnavailable(error) || res.headersSent) throw error;
      sendJson(res, 503, { error: `Warden's database is unreachable; retry in ${DATABASE_RETRY_AFTER_SECONDS} s.` }, { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) });
      return true;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://data-plane.invalid");
    if (url.pathname === "/healthz" || url.pathname === "/readyz") {
      await health(res, url.pathname === "/readyz");
      return true;
    }
    if (url.pathname === "/api/v1/keys") {
      await keys(req, res);
      return true;
    }
    if (url.pathname === "/api/v1/config") {
      await config(req, res, url);
      return true;
    }
    if (url.pathname === "/api/v1/clients/intake") {
      await intake(req, res);
      return true;
    }
    if (url.pathname === "/api/v1/audit-events") {
      await auditEvents(req, res);
      return true;
    }
    if (url.pathname.startsWith("/api/v1/approvals")) return approvals(req, res, url.pathname);
    if (url.pathname === "/api/v1/token" || url.pathname.startsWith("/api/v1/issuers/") || url.pathname.startsWith("/.well-known/oauth-authorization-server/")) {
      return tokenRoutes(req, res, url.pathname);
    }
    if (url.pathname === "/api/v1/tool-drift") {
      await toolDrift(req, res);
      return true;
    }
    return false;
  }

  async function authenticate(req: IncomingMessage, res: ServerResponse, method: "GET" | "POST" = "GET") {
    if (req.method !== method) {
      sendJson(res, 405, { error: `Use ${method}.` }, { Allow: method });
      return null;
    }
    const check = await verifyKey(req.headers.authorization);
    if (!check.ok) {
      sendJson(res, check.status, { error: check.error }, check.status === 503 ? { "Retry-After": String(check.retryAfterSeconds) } : AUTH_CHALLENGE);
      return null;
    }
    const allowed = takeToken(check.key.id, rateLimits.get(check.key.environmentId) ?? DEFAULT_API_KEY_RATE);
    if (!allowed.ok) {
      sendJson(res, 429, { error: `Too many requests for this API key. Retry in ${allowed.retryAfterSeconds} s.` }, { "Retry-After": String(allowed.retryAfterSeconds) });
      return null;
    }
    return check.key;
  }

  async function keys(req: IncomingMessage, res: ServerResponse) {
    if (!(await authenticate(req, res))) return;
    // Public keys: safe to cache briefly; rotation keeps the old key published through its overlap.
    sendJson(res, 200, await publicJwks(db), { "Cache-Control": "private, max-age=300" });
  }

  async function config(req: IncomingMessage, res: ServerResponse, url: URL) {
    const key = await authenticate(req, res);
    if (!key) return;
    const requested = url.searchParams.get("server");
    if (key.serverName && requested && requested !== key.serverName) {
      return sendJson(res, 403, { error: `This API key belongs to server ${key.serverName}, not ${requested}.` });
    }
    const server = key.serverName ?? requested;

    const instanceId = String(req.headers["x-instance-id"] ?? "").slice(0, 128);
    if (instanceId) {
      const applied = Number(req.headers["x-applied-version"]);
      instances.report({
        apiKeyId: key.id,
        serverId: key.serverId,
        instanceId,
        appliedVersion: Number.isInteger(applied) && applied > 0 ? applied : null,
        sdkVersion: String(req.headers["x-sdk-version"] ?? "").slice(0, 64) || null,
        at: new Date(),
      });
    }

    const headers = { "Cache-Control": "private, no-cache", Vary: "Accept-Encoding" };
    // The hot path: an unchanged config is answered from memory alone.
    const etag = feed.currentEtag(key.environmentId, server);
    if (etag && req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...headers, ETag: etag });
      res.end();
      return;
    }
    const names = feed.serverNames(key.environmentId);
    if (names && server && !names.includes(server)) {
      return sendJson(res, 404, { error: `The published config of ${key.environmentKey} has no server named ${server}.` });
    }
    const document = await feed.document(key.environmentId, server);
    if (!document) return sendJson(res, 404, { error: `Nothing is published in ${key.environmentKey} yet. Publish a version from the dashboard.` }, headers);
    if (req.headers["if-none-match"] === document.etag) {
      res.writeHead(304, { ...headers, ETag: document.etag });
      res.end();
      return;
    }
    const coding = chooseContentCoding(req.headers["accept-encoding"]);
    const body = document.bodies[coding];
    res.writeHead(200, {
      ...headers,
      ETag: document.etag,
      "Content-Type": "application/json; charset=utf-8",
      ...(coding === "identity" ? {} : { "Content-Encoding": coding }),
      "Content-Length": body.length,
    });
    res.end(body);
  }

  /** An MCP server reports a client_id it met and Warden does not know yet. */
  async function intake(req: IncomingMessage, res: ServerResponse) {
    const key = await authenticate(req, res, "POST");
    if (!key) return;
    const body = await readNodeJsonBody(req, 8 * 1024);
    if (!body.ok) return sendJson(res, body.status, { error: body.error }, body.headers);
    const parsed = IntakeSchema.safeParse(body.value);
    if (!parsed.success) {
      const rule = parsed.error.issues.find((issue) => issue.code === "custom");
      return sendJson(res, 400, { error: rule ? `clientId ${rule.message}.` : 'Send {"clientId": "<the client_id URL>"} and nothing else.' });
    }
    try {
      const outcome = await intakeClient(db, key, parsed.data.clientId, options.fetchSettings?.() ?? {});
      sendJson(res, outcome.created ? 201 : 200, outcome);
    } catch (error) {
      if (error instanceof FetchRefusal) return sendJson(res, 400, { error: `Not a valid client_id: ${error.message}` });
      throw error;
    }
  }

  /** A batch of tool-call decisions from an MCP server, into its environment's audit chain. */
  async function auditEvents(req: IncomingMessage, res: ServerResponse) {
    const key = await authenticate(req, res, "POST");
    if (!key) return;
    // Each event is judged alone, down to its depth: one hostile event never costs the batch.
    const body = await readNodeJsonBody(req, { maxBytes: MAX_REQUEST_BYTES, maxInflatedBytes: MAX_INFLATED_BYTES, batchItemDepth: MAX_EVENT_DEPTH });
    if (!body.ok) return sendJson(res, body.status, { error: body.error }, body.headers);
    const parsed = IngestBodySchema.safeParse(body.value);
    if (!parsed.success) return sendJson(res, 400, { error: 'Send {"events": [...]}.' });
    const { events } = parsed.data;
    if (events.length === 0) return sendJson(res, 400, { error: "The batch has no events." });
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      return sendJson(res, 413, { error: `At most ${MAX_EVENTS_PER_REQUEST.toLocaleString("en")} events per request; this one has ${events.length.toLocaleString("en")}. Split the batch.` });
    }
    const ingest = async () => ({ status: 202, body: await ingestAuditEvents(db, key, events) });
    const idempotencyKey = String(req.headers["idempotency-key"] ?? "").trim();
    if (idempotencyKey.length > 200) return sendJson(res, 400, { error: "Keep the Idempotency-Key under 200 characters." });
    const answer = idempotencyKey ? await idempotent(key.id, idempotencyKey, body.bytes, ingest) : await ingest();
    sendJson(res, answer.status, answer.body);
  }

  /**
   * /healthz: 200 "ok"; 503 "degraded" while the database is unreachable but
   * config is served from memory; 503 "down" when nothing can be served.
   * /readyz: 200 whenever this instance can answer config polls (ok or
   * degraded), so a load balancer keeps it in rotation through an outage.
   */
  async function health(res: ServerResponse, readiness: boolean) {
    let reachable = true;
    try {
      await Promise.race([
        db.$queryRaw`SELECT 1`,
        new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error("The health check timed out."), { code: "ETIMEDOUT" })), HEALTH_CHECK_TIMEOUT_MS).unref()),
      ]);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) console.error("[warden] health check failed", error);
      reachable = false;
    }
    if (reachable) return sendJson(res, 200, { status: "ok" });
    const downFor = revisionOutage.downSince === null ? 0 : Date.now() - revisionOutage.downSince;
    const servingConfigFromMemory = feed.hasConfig() && downFor < KEY_OUTAGE_GRACE_MS;
    const body = { status: servingConfigFromMemory ? "degraded" : "down", reason: "database unreachable", servingConfigFromMemory };
    sendJson(res, readiness && servingConfigFromMemory ? 200 : 503, body);
  }

  return {
    handle,
    /** Reads the latest versions, keys and limits now (start-up, tests); the timer keeps them fresh afterwards. */
    refresh,
    flushInstanceReports: instances.flush,
    close() {
      closed = true;
      for (const timer of timers) clearInterval(timer);
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(payload);
}
