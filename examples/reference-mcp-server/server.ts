/**
 * A reference MCP server built on the official SDK: a small "sales" service
 * with a read-only tool, a listing tool, and a destructive one. Tests use it as
 * a real peer: for tool import (optionally behind a static bearer token), and
 * in enforcing mode, where it is an OAuth-protected resource that asks the
 * Warden SDK about every call.
 *
 * Run it alone with `npx tsx examples/reference-mcp-server/server.ts`; set
 * WARDEN_URL (and the variables listed in enforcementFromEnv) to enforce.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer, type RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import {
  createApprovalClient,
  createAuditReporter,
  createTokenExchanger,
  createWardenClient,
  denialText,
  filterToolsList,
  protectedResourceMetadata,
  resourceMetadataUrl,
  scopeChallengeFor,
  unauthorizedChallenge,
  TokenExchangeError,
  type ApprovalClient,
  type AuditReporter,
  type TokenExchanger,
  type WardenClient,
  type WardenDecision,
} from "../../sdk/src/index";

export type ReferenceToolOverrides = { getInvoiceDescription?: string; extraTool?: boolean; dropRefund?: boolean };

/** book_meeting calls this downstream API as the user, with a token from Warden's token exchange. */
export type DownstreamCalendar = { exchanger: TokenExchanger; audience: string; apiUrl: string };

/** Answers a tool call with a refusal instead of running it; null lets it run. */
type CallGate = (tool: string) => string | null;

export function createReferenceMcpServer(overrides: ReferenceToolOverrides = {}): McpServer {
  return buildReferenceServer(overrides).server;
}

function buildReferenceServer(
  overrides: ReferenceToolOverrides,
  gate: CallGate = () => null,
  calendar?: { downstream: DownstreamCalendar; incomingToken: string },
): { server: McpServer; tools: Map<string, RegisteredTool> } {
  const server = new McpServer({ name: "sales-mcp", version: "1.0.0" });
  const tools = new Map<string, RegisteredTool>();
  const refused = (tool: string) => {
    const denial = gate(tool);
    return denial === null ? null : { isError: true, content: [{ type: "text" as const, text: denial }] };
  };
  tools.set("get_invoice", server.registerTool(
    "get_invoice",
    {
      title: "Get invoice",
      description: overrides.getInvoiceDescription ?? "Returns one invoice by its id.",
      inputSchema: { invoiceId: z.string().describe("The invoice id, e.g. INV-1001") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ invoiceId }) => refused("get_invoice") ?? { content: [{ type: "text", text: JSON.stringify({ invoiceId, amount: 1200, currency: "EUR" }) }] },
  ));
  tools.set("list_customers", server.registerTool(
    "list_customers",
    {
      title: "List customers",
      description: "Lists customers, newest first.",
      inputSchema: { limit: z.number().int().min(1).max(100).optional() },
      annotations: { readOnlyHint: true },
    },
    async () => refused("list_customers") ?? { content: [{ type: "text", text: JSON.stringify([{ id: "C-1", name: "Acme" }]) }] },
  ));
  if (!overrides.dropRefund) {
    tools.set("refund_payment", server.registerTool(
      "refund_payment",
      {
        title: "Refund a payment",
        description: "Refunds a captured payment. Irreversible.",
        inputSchema: { paymentId: z.string(), amount: z.number().positive() },
        annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      async ({ paymentId, amount }) => refused("refund_payment") ?? { content: [{ type: "text", text: `refunded ${amount} on ${paymentId}` }] },
    ));
  }
  if (overrides.extraTool) {
    tools.set("export_customers", server.registerTool(
      "export_customers",
      { title: "Export customers", description: "Exports every customer as CSV.", inputSchema: {}, annotations: { readOnlyHint: true } },
      async () => refused("export_customers") ?? { content: [{ type: "text", text: "id,name\nC-1,Acme\n" }] },
    ));
  }
  if (calendar) {
    tools.set("book_meeting", server.registerTool(
      "book_meeting",
      {
        title: "Book a meeting",
        description: "Books a meeting in the user's calendar, calling the calendar API as the user.",
        inputSchema: { title: z.string().max(200) },
        annotations: { readOnlyHint: false, openWorldHint: true },
      },
      async ({ title }) => refused("book_meeting") ?? (await bookMeeting(calendar.downstream, calendar.incomingToken, title)),
    ));
  }
  return { server, tools };
}

/** Exchanges the user's token for a calendar token (as much of calendar:read calendar:write as Warden grants) and books. */
async function bookMeeting(downstream: DownstreamCalendar, incomingToken: string, title: string) {
  try {
    const token = await downstream.exchanger.tokenFor(incomingToken, { audience: downstream.audience, scope: "calendar:read calendar:write", tool: "book_meeting" });
    const response = await fetch(new URL("/meetings", downstream.apiUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${token.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ title }),
    });
    const body = await response.json();
    const result = { status: response.status, grantedScope: token.scope.join(" "), body };
    return { isError: !response.ok, content: [{ type: "text" as const, text: JSON.stringify(result) }] };
  } catch (error) {
    if (error instanceof TokenExchangeError) return { isError: true, content: [{ type: "text" as const, text: `Token exchange refused (${error.code}): ${error.description}` }] };
    throw error;
  }
}

/** Enforcing mode: OAuth bearer tokens from `issuer`, decisions by Warden. */
export type EnforcementOptions = {
  warden: WardenClient;
  /** Where each decision is reported; optional so a test can leave it out. */
  audit?: AuditReporter;
  /** The authorization server (OIDC issuer) whose access tokens are accepted. */
  issuer: string;
  /** Its JWKS; discovered from the issuer's metadata when left out. */
  jwksUri?: string;
  /** This server's canonical resource URI: tokens must carry it as `aud` (RFC 8707). Defaults to the URL it listens on. */
  resource?: string;
  scopesSupported?: string[];
  /** Calls to tools that need a human's approval wait for it here; without it they are refused. */
  approvals?: ApprovalClient;
  /** How long an approval request may wait, when shorter than the environment's expiry. */
  approvalExpiresInSeconds?: number;
  /** Adds book_meeting, which calls this calendar API on behalf of the user. */
  downstream?: DownstreamCalendar;
};

export type RunningReferenceServer = { url: string; close: () => Promise<void>; server: Server; resource: string };

type JsonRpcMessage = { jsonrpc?: string; id?: unknown; method?: string; params?: { name?: unknown; arguments?: unknown } };

/**
 * Serves the reference server over Streamable HTTP (stateless: a fresh server
 * and transport per request) at /mcp on a loopback port.
 * - `bearerToken`: requests without that exact token get 401 (tool-import tests).
 * - `enforce`: validates OAuth access tokens (signature, issuer, audience =
 *   this resource), serves RFC 9728 metadata, answers 401/403 as the MCP
 *   authorization spec says, lists only the tools the caller may call, refuses
 *   other calls with Warden's reason, and reports every decision.
 */
export async function startReferenceMcpServer(
  options: { port?: number; host?: string; bearerToken?: string; overrides?: ReferenceToolOverrides; enforce?: EnforcementOptions } = {},
): Promise<RunningReferenceServer> {
  let resource = options.enforce?.resource ?? "";
  const enforce = options.enforce;
  const verifyToken = enforce ? tokenVerifier(enforce, () => resource) : null;

  const http = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (enforce && path.startsWith("/.well-known/oauth-protected-resource")) {
        return sendJson(res, 200, protectedResourceMetadata({ resource, authorizationServers: [enforce.issuer], scopesSupported: enforce.scopesSupported, resourceName: "sales-mcp" }));
      }
      if (!path.startsWith("/mcp")) return void res.writeHead(404).end();
      if (options.bearerToken && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
        res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="sales-mcp"', "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_token" }));
        return;
      }
      if (!enforce || !verifyToken) return await serveMcp(req, res, createReferenceMcpServer(options.overrides));
      await serveEnforced(req, res, enforce, verifyToken, () => resource, options.overrides);
    } catch (error) {
      console.error("[sales-mcp] request failed", error);
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error" });
      else res.end();
    }
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/mcp`;
  resource ||= url;
  return {
    url,
    resource,
    server: http,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function serveMcp(req: IncomingMessage, res: ServerResponse, mcp: McpServer, parsedBody?: unknown) {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, parsedBody);
}

async function serveEnforced(
  req: IncomingMessage,
  res: ServerResponse,
  enforce: EnforcementOptions,
  verifyToken: (token: string) => Promise<JWTPayload>,
  resource: () => string,
  overrides: ReferenceToolOverrides | undefined,
) {
  const metadataUrl = resourceMetadataUrl(resource());
  const ip = req.socket.remoteAddress ?? undefined;
  const header = req.headers.authorization ?? "";
  if (!/^Bearer\s+\S+$/i.test(header)) {
    res.writeHead(401, { "WWW-Authenticate": unauthorizedChallenge({ resourceMetadataUrl: metadataUrl }), "Content-Type": "application/json" });
    return void res.end(JSON.stringify({ error: "unauthorized", error_description: "This MCP server needs an OAuth access token." }));
  }
  let claims: JWTPayload;
  try {
    claims = await verifyToken(header.replace(/^Bearer\s+/i, ""));
  } catch (error) {
    const description = `The access token was refused: ${error instanceof Error ? error.message : "invalid"}`;
    enforce.audit?.record({ actor: "(unauthenticated)", action: "mcp.token", decision: "deny", reason: "invalid_token", server: enforce.warden.config?.server ?? null, ip, details: { message: description } });
    res.writeHead(401, { "WWW-Authenticate": unauthorizedChallenge({ resourceMetadataUrl: metadataUrl, error: "invalid_token", errorDescription: description }), "Content-Type": "application/json" });
    return void res.end(JSON.stringify({ error: "invalid_token", error_description: description }));
  }
  const subject = typeof claims.sub === "string" ? claims.sub : "";
  const clientId = typeof claims.client_id === "string" ? claims.client_id : typeof claims.azp === "string" ? claims.azp : undefined;

  const body = req.method === "POST" ? await readJson(req) : undefined;
  if (body === INVALID) return sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
  const messages = (Array.isArray(body) ? body : body ? [body] : []) as JsonRpcMessage[];

  // Decide each tools/call before anything runs; a denial the caller can fix with more scopes is a 403 step-up challenge.
  const denials = new Map<string, string>();
  for (const message of messages) {
    if (message.method !== "tools/call" || typeof message.params?.name !== "string") continue;
    const tool = message.params.name;
    const decision = enforce.warden.authorize(claims, clientId, tool);
    const server = enforce.warden.config?.server ?? null;
    if (decision.decision === "allow" && decision.requiresApproval) {
      // The call waits here, before anything runs, until a human decides or the request expires.
      const denial = await awaitApproval(enforce, { decision, subject, clientId, server, tool, args: message.params.arguments ?? {}, ip });
      if (denial) denials.set(tool, denial);
      continue;
    }
    enforce.audit?.recordDecision({ decision, subject, clientId, server, tool, requestId: requestIdOf(message), ip });
    if (decision.decision === "allow") continue;
    const challenge = scopeChallengeFor(decision, metadataUrl);
    if (challenge) {
      res.writeHead(challenge.status, { ...challenge.headers, "Content-Type": "application/json" });
      return void res.end(JSON.stringify(challenge.body));
    }
    denials.set(tool, denialText(decision));
  }

  const incomingToken = header.replace(/^Bearer\s+/i, "");
  const calendar = enforce.downstream ? { downstream: enforce.downstream, incomingToken } : undefined;
  const { server: mcp, tools } = buildReferenceServer(overrides ?? {}, (tool) => denials.get(tool) ?? null, calendar);
  if (messages.some((message) => message.method === "tools/list")) {
    // Disabled tools are left out of tools/list; calls are gated above, with the reason.
    const allowed = new Set(filterToolsList(enforce.warden, { tools: [...tools.keys()].map((name) => ({ name })) }, claims, clientId).tools.map((tool) => tool.name));
    for (const [name, tool] of tools) if (!allowed.has(name)) tool.disable();
  }
  await serveMcp(req, res, mcp, body);
}

/**
 * Asks Warden for a human's approval of one call and spends it on these exact
 * arguments. Returns the refusal text, or null when the call may run. The
 * request, the decision and the call share a requestId in the audit trail.
 */
async function awaitApproval(
  enforce: EnforcementOptions,
  call: { decision: WardenDecision; subject: string; clientId: string | undefined; server: string | null; tool: string; args: unknown; ip: string | undefined },
): Promise<string | null> {
  const requestId = randomUUID();
  const base = { subject: call.subject, clientId: call.clientId, server: call.server, tool: call.tool, requestId, ip: call.ip };
  if (!enforce.approvals) {
    const message = `${call.tool} needs a human's approval for each call, and this server has no approval client configured.`;
    enforce.audit?.record({ actor: call.subject || "(anonymous)", clientId: call.clientId ?? null, server: call.server, tool: call.tool, action: "tool.call", decision: "deny", reason: "approval_unavailable", requestId, ip: call.ip ?? null, configVersion: call.decision.configVersion, details: { message } });
    return `Denied by Warden (approval_unavailable): ${message}`;
  }
  const outcome = await enforce.approvals.runWithApproval(
    {
      subject: call.subject,
      clientId: call.clientId ?? null,
      tool: call.tool,
      arguments: call.args,
      reason: call.decision.message,
      requestId,
      configVersion: call.decision.configVersion,
      expiresInSeconds: enforce.approvalExpiresInSeconds,
    },
    async () => undefined,
  );
  const approvalId = outcome.approval?.id ?? null;
  if (outcome.ok) {
    enforce.audit?.recordDecision({ ...base, decision: call.decision, details: { approvalId, approvedBy: outcome.approval.decidedBy } });
    return null;
  }
  enforce.audit?.record({
    actor: call.subject || "(anonymous)",
    clientId: call.clientId ?? null,
    server: call.server,
    tool: call.tool,
    action: "tool.call",
    decision: "deny",
    reason: `approval_${outcome.code}`,
    configVersion: call.decision.configVersion,
    requestId,
    ip: call.ip ?? null,
    details: { message: outcome.message, approvalId },
  });
  return `Denied by Warden (approval_${outcome.code}): ${outcome.message}`;
}

function tokenVerifier(enforce: EnforcementOptions, resource: () => string) {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  const jwks = () =>
    (keys ??= (async () => {
      if (enforce.jwksUri) return createRemoteJWKSet(new URL(enforce.jwksUri));
      const discovery = await fetch(new URL("/.well-known/openid-configuration", enforce.issuer.endsWith("/") ? enforce.issuer : `${enforce.issuer}/`));
      if (!discovery.ok) throw new Error(`The issuer's metadata is unavailable (HTTP ${discovery.status}).`);
      const { jwks_uri: jwksUri } = (await discovery.json()) as { jwks_uri?: string };
      if (!jwksUri) throw new Error("The issuer publishes no jwks_uri.");
      return createRemoteJWKSet(new URL(jwksUri));
    })().catch((error: unknown) => {
      keys = null;
      throw error;
    }));
  return async (token: string) => {
    const { payload } = await jwtVerify(token, await jwks(), { issuer: enforce.issuer, audience: resource(), clockTolerance: 30 });
    return payload;
  };
}

const INVALID = Symbol("invalid");

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4 * 1024 * 1024) return INVALID;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return INVALID;
  }
}

function requestIdOf(message: JsonRpcMessage): string | undefined {
  return typeof message.id === "string" || typeof message.id === "number" ? String(message.id) : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

/**
 * Enforcing mode from the environment, for running this file as a process:
 * WARDEN_URL, WARDEN_API_KEY, WARDEN_JWKS (the pinned key set as JSON) or
 * WARDEN_ALLOW_KEY_REFRESH=true, WARDEN_STATE_FILE, WARDEN_POLL_INTERVAL_MS
 * ("min,max"), WARDEN_APPROVAL_EXPIRES_SECONDS, OAUTH_ISSUER, MCP_RESOURCE.
 */
export function enforcementFromEnv(env: NodeJS.ProcessEnv = process.env): EnforcementOptions | undefined {
  if (!env.WARDEN_URL) return undefined;
  if (!env.WARDEN_API_KEY || !env.OAUTH_ISSUER) throw new Error("Set WARDEN_API_KEY and OAUTH_ISSUER along with WARDEN_URL.");
  const interval = env.WARDEN_POLL_INTERVAL_MS?.split(",").map(Number);
  const warden = createWardenClient({
    url: env.WARDEN_URL,
    apiKey: env.WARDEN_API_KEY,
    jwks: env.WARDEN_JWKS ? JSON.parse(env.WARDEN_JWKS) : undefined,
    allowKeyRefresh: env.WARDEN_ALLOW_KEY_REFRESH === "true",
    stateFile: env.WARDEN_STATE_FILE,
    ...(interval && interval.length === 2 ? { pollIntervalMs: [interval[0]!, interval[1]!] as const } : {}),
  });
  const audit = createAuditReporter({ url: env.WARDEN_URL, apiKey: env.WARDEN_API_KEY, flushIntervalMs: Number(env.WARDEN_AUDIT_FLUSH_MS ?? 5_000) });
  const approvals = createApprovalClient({ url: env.WARDEN_URL, apiKey: env.WARDEN_API_KEY });
  const approvalExpiresInSeconds = env.WARDEN_APPROVAL_EXPIRES_SECONDS ? Number(env.WARDEN_APPROVAL_EXPIRES_SECONDS) : undefined;
  // book_meeting appears when a calendar API is configured: it calls it as the user, through Warden's token exchange.
  const downstream =
    env.CALENDAR_API_URL && env.CALENDAR_AUDIENCE
      ? { exchanger: createTokenExchanger({ url: env.WARDEN_URL, apiKey: env.WARDEN_API_KEY }), audience: env.CALENDAR_AUDIENCE, apiUrl: env.CALENDAR_API_URL }
      : undefined;
  return { warden, audit, approvals, approvalExpiresInSeconds, issuer: env.OAUTH_ISSUER, resource: env.MCP_RESOURCE, downstream };
}

if (process.argv[1]?.endsWith("reference-mcp-server/server.ts")) {
  const port = Number(process.env.PORT ?? 3333);
  const enforce = enforcementFromEnv();
  void (async () => {
    await enforce?.warden.start();
    const { url } = await startReferenceMcpServer({ port, enforce });
    console.log(`reference MCP server on ${url}${enforce ? ` (enforcing Warden config from ${process.env.WARDEN_URL})` : ""}`);
    const stop = async () => {
      enforce?.warden.close();
      await enforce?.audit?.close();
      process.exit(0);
    };
    process.once("SIGTERM", () => void stop());
    process.once("SIGINT", () => void stop());
  })();
}
