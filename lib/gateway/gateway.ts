import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, SUPPORTED_PROTOCOL_VERSIONS, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import {
  createTokenExchanger,
  denialText,
  filterToolsList,
  protectedResourceMetadata,
  resourceMetadataUrl,
  scopeChallengeFor,
  TokenExchangeError,
  unauthorizedChallenge,
  type ApprovalClient,
  type AuditReporter,
  type WardenClient,
  type WardenDecision,
} from "../../sdk/src/index";
import { callerProblem, checkContentType, checkHostAndOrigin, checkMcpHeaders, parseBodyText, parseMessages, unauditableCall, type JsonRpcMessage } from "./hygiene";
import { approvedHashes, DefinitionPins, liveDefinition, liveHash, type LiveDefinition } from "./rug-pull";
import type { GatewaySettings } from "./settings";
import type { UpstreamConnection, UpstreamLogger } from "./upstream";

export type GatewayDeps = {
  settings: Pick<GatewaySettings, "resource" | "issuer" | "jwksUri" | "allowedHosts" | "allowedOrigins" | "maxBodyBytes" | "upstreamTimeoutMs" | "tokenExchange"> & { warden: { url: string; apiKey: string; approvalExpiresInSeconds?: number } };
  warden: WardenClient;
  audit: AuditReporter;
  approvals: ApprovalClient;
  upstream: UpstreamConnection;
  logger: UpstreamLogger;
  fetch?: typeof fetch;
};

// The raw token is kept only to exchange it at Warden; it is never sent upstream.
type Caller = { claims: JWTPayload; token: string; subject: string; clientId: string | undefined; ip: string | undefined };

const TOKEN_CACHE_MAX = 10_000;

/**
 * The gateway's HTTP face: an OAuth-protected MCP endpoint (Streamable HTTP,
 * stateless) that decides every tools/list and tools/call with the verified
 * Warden config before anything reaches the upstream, and reports each
 * decision. Only tools are proxied: resources and prompts are not governed by
 * Warden's grants, so passing them through would be a way around the policy.
 */
export function createGateway(deps: GatewayDeps) {
  const { settings, warden, audit, upstream, logger } = deps;
  const metadataUrl = resourceMetadataUrl(settings.resource);
  const metadataPath = new URL(metadataUrl).pathname;
  const mcpPath = new URL(settings.resource).pathname;
  const verifyToken = tokenVerifier(settings);
  const pins = new DefinitionPins();
  const drift = driftReporter(deps);
  const onBehalfOf = settings.tokenExchange ? upstreamCredentials(deps, settings.tokenExchange) : null;

  // Calls running upstream, by caller and JSON-RPC id: a stateless endpoint gets the
  // caller's notifications/cancelled in a later POST, and must find the call it names.
  const inFlight = new Map<string, AbortController>();
  const flightKey = (caller: Caller, id: unknown) => `${caller.subject}\u0000${caller.clientId ?? ""}\u0000${typeof id}:${String(id)}`;
  function track(caller: Caller, id: string | number, signal?: AbortSignal) {
    const key = flightKey(caller, id);
    const controller = new AbortController();
    inFlight.set(key, controller);
    return { controller, signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal, done: () => inFlight.get(key) === controller && inFlight.delete(key) };
  }

  // Decisions, remembered per config in force, per verified token's claims (one object per token while it is cached)
  // and per tool: deciding depends on nothing else, and a newly applied config starts afresh.
  let decisionsFor: unknown = null;
  let decisions = new WeakMap<JWTPayload, Map<string, WardenDecision>>();
  function authorize(caller: Caller, tool: string): WardenDecision {
    const config = warden.config;
    if (!config) return warden.authorize(caller.claims, caller.clientId, tool);
    if (config !== decisionsFor) {
      decisionsFor = config;
      decisions = new WeakMap();
    }
    let known = decisions.get(caller.claims);
    if (!known) decisions.set(caller.claims, (known = new Map()));
    const key = `${caller.clientId ?? ""}\u0000${tool}`;
    let decision = known.get(key);
    if (!decision) {
      decision = deepFreeze(warden.authorize(caller.claims, caller.clientId, tool));
      // Bounded: a caller naming endless made-up tools is decided afresh each time.
      if (known.size < 256) known.set(key, decision);
    }
    return decision;
  }

  // The upstream's definitions as last listed, to judge calls without listing per call.
  let catalog: Map<string, { tool: Tool; hash: string }> | null = null;
  upstream.onToolsChanged(() => (catalog = null));

  // The approved hashes of the config in force, worked out once per config rather than per call.
  let hashesFor: unknown;
  let hashes = new Map<string, string>();
  function currentHashes() {
    const config = warden.config;
    if (config !== hashesFor || hashesFor === undefined) {
      hashes = approvedHashes(config?.config.policy.tools ?? [], config?.server ?? null);
      hashesFor = config;
    }
    return hashes;
  }

  /** Splits a listing into what may be shown and what changed since approval (reported to Warden). */
  function screen(tools: Tool[]): Tool[] {
    const approved = currentHashes();
    const kept: Tool[] = [];
    const changed: LiveDefinition[] = [];
    const next = catalog ?? new Map<string, { tool: Tool; hash: string }>();
    for (const tool of tools) {
      const hash = liveHash(tool);
      next.set(tool.name, { tool, hash });
      if (pins.verdict(tool.name, hash, approved.get(tool.name)).ok) kept.push(tool);
      else if (approved.has(tool.name)) changed.push(liveDefinition(tool));
    }
    catalog = next;
    if (changed.length) drift.report(changed, (tool) => liveHash(tool as unknown as Tool));
    return kept;
  }

  async function catalogEntry(name: string) {
    if (!catalog?.has(name)) screen(await upstream.listAllTools(settings.upstreamTimeoutMs));
    return catalog?.get(name);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // The MCP endpoint's exact path needs no URL parsing (the common case, every call); anything else is normalised.
      const path = req.url === mcpPath ? mcpPath : new URL(req.url ?? "/", "http://gateway.invalid").pathname;
      const refusal = checkHostAndOrigin({ host: req.headers.host, origin: header(req, "origin") }, { hosts: settings.allowedHosts, origins: settings.allowedOrigins });
      if (refusal) return sendJson(res, refusal.status, { error: refusal.error, error_description: refusal.message });
      if (path === metadataPath || path === "/.well-known/oauth-protected-resource") {
        return sendJson(res, 200, protectedResourceMetadata({ resource: settings.resource, authorizationServers: [settings.issuer], scopesSupported: scopesSupported(warden), resourceName: warden.config?.server ?? undefined }), { "Cache-Control": "public, max-age=300" });
      }
      if (path === "/healthz") return sendJson(res, 200, { status: "ok", configVersion: warden.config?.version ?? null });
      if (path !== mcpPath) return sendJson(res, 404, { error: "not_found", error_description: `The MCP endpoint is ${mcpPath}.` });
      if (req.method !== "POST") {
        // Stateless: no standalone SSE stream and no session to delete; server-to-client messages ride on each POST's response.
        return sendJson(res, 405, { jsonrpc: "2.0", id: null, error: { code: -32000, message: "This gateway accepts MCP messages by POST only." } }, { Allow: "POST" });
      }
      const caller = await authenticate(req, res);
      if (!caller) return;
      const unsupported = checkContentType(header(req, "content-type"));
      if (unsupported) return sendJson(res, unsupported.status, { jsonrpc: "2.0", id: null, error: { code: -32600, message: unsupported.message } }, { Connection: "close" });
      const body = await readBody(req, settings.maxBodyBytes);
      if (!body.ok) return sendJson(res, body.status, { jsonrpc: "2.0", id: null, error: { code: body.code, message: body.message } }, body.status === 413 ? { Connection: "close" } : {});
      const parsed = parseMessages(body.value);
      if (!parsed.ok) return sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32600, message: parsed.message } });
      const mismatch = checkMcpHeaders({ method: header(req, "mcp-method"), name: header(req, "mcp-name") }, parsed.messages);
      if (mismatch) return sendJson(res, mismatch.status, { jsonrpc: "2.0", id: null, error: { code: -32600, message: mismatch.message } });
      const unauditable = parsed.messages.map(unauditableCall).find((problem) => problem !== null);
      if (unauditable) {
        audit.record({ actor: caller.subject || "(anonymous)", clientId: caller.clientId ?? null, server: warden.config?.server ?? null, action: "tool.call", decision: "deny", reason: "invalid_request", ip: caller.ip ?? null, details: { message: unauditable } });
        return sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32602, message: unauditable } });
      }

      // Cancellation of an earlier call (only the same caller's): passed upstream by aborting it.
      for (const message of parsed.messages) {
        if (message.method === "notifications/cancelled") inFlight.get(flightKey(caller, message.params?.requestId))?.abort(new Error("cancelled by the caller"));
      }
      if (parsed.messages.every((message) => message.id === undefined && message.method?.startsWith("notifications/"))) {
        return void res.writeHead(202).end();
      }

      const denials = new Map<string | number, string>();
      const credentials = new Map<string | number, Record<string, string>>();
      for (const message of parsed.messages) {
        if (message.method !== "tools/call" || message.id === undefined) continue;
        const outcome = await decideCall(caller, message);
        if (outcome.kind === "challenge") {
          res.writeHead(outcome.challenge.status, { ...outcome.challenge.headers, "Content-Type": "application/json" });
          return void res.end(JSON.stringify(outcome.challenge.body));
        }
        if (outcome.kind === "deny") denials.set(message.id, outcome.text);
        else if (outcome.headers) credentials.set(message.id, outcome.headers);
      }
      const decided = { denials, credentials };
      if (await answerCallDirectly(req, res, caller, parsed.messages, decided)) return;
      await serveMcp(req, res, caller, decided, body.value);
    } catch (error) {
      logger.warn(`request failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 502, { jsonrpc: "2.0", id: null, error: { code: -32603, message: "The gateway could not complete the request with the upstream MCP server." } });
      else res.end();
    }
  }

  async function authenticate(req: IncomingMessage, res: ServerResponse): Promise<Caller | null> {
    const authorization = header(req, "authorization") ?? "";
    const ip = req.socket.remoteAddress ?? undefined;
    if (!/^Bearer\s+\S+$/i.test(authorization)) {
      res.writeHead(401, { "WWW-Authenticate": unauthorizedChallenge({ resourceMetadataUrl: metadataUrl }), "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "unauthorized", error_description: "This MCP server needs an OAuth access token." }));
      return null;
    }
    try {
      const token = authorization.replace(/^Bearer\s+/i, "");
      const claims = await verifyToken(token);
      const unrecordable = callerProblem(claims);
      if (unrecordable) throw new Error(unrecordable);
      const clientId = typeof claims.client_id === "string" ? claims.client_id : typeof claims.azp === "string" ? claims.azp : undefined;
      return { claims, token, subject: typeof claims.sub === "string" ? claims.sub : "", clientId, ip };
    } catch (error) {
      const description = `The access token was refused: ${error instanceof Error ? error.message : "invalid"}`;
      audit.record({ actor: "(unauthenticated)", action: "mcp.token", decision: "deny", reason: "invalid_token", server: warden.config?.server ?? null, ip: ip ?? null, details: { message: description } });
      res.writeHead(401, { "WWW-Authenticate": unauthorizedChallenge({ resourceMetadataUrl: metadataUrl, error: "invalid_token", errorDescription: description }), "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_token", error_description: description }));
      return null;
    }
  }

  type CallOutcome = { kind: "allow"; headers?: Record<string, string> } | { kind: "deny"; text: string } | { kind: "challenge"; challenge: NonNullable<ReturnType<typeof scopeChallengeFor>> };

  /** Decides one tools/call before anything runs, and reports the decision. */
  async function decideCall(caller: Caller, message: JsonRpcMessage): Promise<CallOutcome> {
    const tool = typeof message.params?.name === "string" ? message.params.name : "";
    const server = warden.config?.server ?? null;
    const requestId = message.id === undefined ? undefined : String(message.id);
    const base = { subject: caller.subject, clientId: caller.clientId, server, tool, requestId, ip: caller.ip };
    const decision = authorize(caller, tool);
    if (decision.decision === "allow") {
      // A granted tool whose live definition is not the approved one is refused: the agent would act on words nobody approved.
      // Listed already (every call but the first): no promise to wait for.
      const entry = catalog?.get(tool) ?? (await catalogEntry(tool).catch(() => undefined));
      const verdict = entry ? pins.verdict(tool, entry.hash, currentHashes().get(tool)) : { ok: true as const };
      if (!verdict.ok) {
        audit.record({ actor: caller.subject || "(anonymous)", clientId: caller.clientId ?? null, server, tool, action: "tool.call", decision: "deny", reason: "tool_definition_changed", configVersion: decision.configVersion, requestId: requestId ?? null, ip: caller.ip ?? null, details: { message: verdict.message } });
        return { kind: "deny", text: `Denied by Warden (tool_definition_changed${decision.configVersion ? `, config v${decision.configVersion}` : ""}): ${verdict.message}` };
      }
      if (decision.requiresApproval) {
        const denial = await awaitApproval(caller, decision, tool, message.params?.arguments ?? {}, server);
        // Exchanged after the human's decision: a token obtained before it could have expired while waiting.
        return denial ? { kind: "deny", text: denial } : await withCredential(caller, tool, decision, requestId);
      }
      // The token is obtained before the call is reported allowed: a refused exchange is the call's one decision, a denial.
      const outcome: CallOutcome = onBehalfOf ? await withCredential(caller, tool, decision, requestId) : { kind: "allow" };
      if (outcome.kind === "allow") audit.recordDecision({ ...base, decision });
      return outcome;
    }
    audit.recordDecision({ ...base, decision });
    const challenge = scopeChallengeFor(decision, metadataUrl);
    if (challenge) return { kind: "challenge", challenge };
    return { kind: "deny", text: denialText(decision) };
  }

  /**
   * With UPSTREAM_TOKEN_EXCHANGE_AUDIENCE, the upstream credential for one
   * allowed call: a token Warden issues for this caller, this tool and the
   * downstream API the upstream is registered as (RFC 8693). A refusal is the
   * call's denial, named by its RFC code, and reported like other refusals.
   */
  async function withCredential(caller: Caller, tool: string, decision: WardenDecision, requestId: string | undefined): Promise<CallOutcome> {
    if (!onBehalfOf) return { kind: "allow" };
    try {
      return { kind: "allow", headers: { authorization: `Bearer ${await onBehalfOf.tokenFor(caller.token, tool)}` } };
    } catch (error) {
      if (!(error instanceof TokenExchangeError)) throw error;
      audit.record({
        actor: caller.subject || "(anonymous)",
        clientId: caller.clientId ?? null,
        server: warden.config?.server ?? null,
        tool,
        action: "tool.call",
        decision: "deny",
        reason: `token_exchange_${error.code}`,
        configVersion: decision.configVersion,
        requestId: requestId ?? null,
        ip: caller.ip ?? null,
        details: { message: error.description, audience: settings.tokenExchange!.audience },
      });
      // Warden being out of reach is not a refusal; the caller may simply try again.
      const unreachable = error.code === "unavailable" || error.code === "temporarily_unavailable";
      return { kind: "deny", text: `${unreachable ? "Warden could not issue" : "Warden refused"} an on-behalf-of token for this call (${error.code}: ${error.description})` };
    }
  }

  /** Waits for a human's decision on one call (the SDK's approval client), then spends it on these exact arguments. */
  async function awaitApproval(caller: Caller, decision: WardenDecision, tool: string, args: unknown, server: string | null): Promise<string | null> {
    // The request, the decision and the call share one id in the audit trail.
    const requestId = randomUUID();
    const outcome = await deps.approvals.runWithApproval(
      { subject: caller.subject, clientId: caller.clientId ?? null, tool, arguments: args, reason: decision.message, requestId, configVersion: decision.configVersion, expiresInSeconds: settings.warden.approvalExpiresInSeconds },
      async () => undefined,
    );
    const approvalId = outcome.approval?.id ?? null;
    if (outcome.ok) {
      audit.recordDecision({ decision, subject: caller.subject, clientId: caller.clientId, server, tool, requestId, ip: caller.ip, details: { approvalId, approvedBy: outcome.approval.decidedBy } });
      return null;
    }
    audit.record({ actor: caller.subject || "(anonymous)", clientId: caller.clientId ?? null, server, tool, action: "tool.call", decision: "deny", reason: `approval_${outcome.code}`, configVersion: decision.configVersion, requestId, ip: caller.ip ?? null, details: { message: outcome.message, approvalId } });
    return `Denied by Warden (approval_${outcome.code}): ${outcome.message}`;
  }

  /**
   * The common case, one tools/call with no progress token, answered as a
   * plain JSON response without building an MCP server and transport for it:
   * that per-request machinery is most of what the gateway would add to a
   * call. Anything else (a batch, progress, an unusual protocol version, a
   * malformed call) takes the full SDK path below, which answers it exactly
   * as the spec says. Returns false when it did not answer.
   */
  async function answerCallDirectly(req: IncomingMessage, res: ServerResponse, caller: Caller, messages: JsonRpcMessage[], decided: Decided): Promise<boolean> {
    if (messages.length !== 1 || !String(req.headers.accept ?? "").includes("application/json")) return false;
    const version = header(req, "mcp-protocol-version");
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return false;
    // Checked by hand rather than with the SDK's schema: this is the per-call path, and anything unusual falls through to the SDK.
    const message = messages[0]!;
    const id = message.id;
    const params = message.params;
    const name = params?.name;
    const args = params?.arguments;
    if (message.method !== "tools/call" || id === undefined || typeof name !== "string") return false;
    if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) return false;
    if (params?._meta !== undefined || Object.keys(params!).some((key) => key !== "name" && key !== "arguments")) return false;
    const reply = (payload: { result: unknown } | { error: unknown }) => sendJson(res, 200, { jsonrpc: "2.0", id, ...payload });
    const denial = decided.denials.get(id);
    if (denial !== undefined) {
      reply({ result: { isError: true, content: [{ type: "text", text: denial }] } });
      return true;
    }
    // The caller hanging up cancels the upstream call (notifications/cancelled), as the SDK path does.
    // One controller for both ways a call is cancelled: no AbortSignal.any per call.
    const flight = track(caller, id);
    res.once("close", () => res.writableFinished || flight.controller.abort(new Error("the caller hung up")));
    try {
      const result = await upstream.callTool(name, args as Record<string, unknown> | undefined, { signal: flight.signal, timeoutMs: settings.upstreamTimeoutMs, headers: decided.credentials.get(id) });
      if (!res.destroyed) reply({ result });
    } catch (error) {
      if (res.destroyed) return true;
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        reply({ result: { isError: true, content: [{ type: "text", text: `The upstream MCP server did not answer ${name} within ${Math.round(settings.upstreamTimeoutMs / 1000)} s.` }] } });
      } else if (error instanceof McpError) {
        reply({ error: { code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) } });
      } else {
        throw error;
      }
    } finally {
      flight.done();
    }
    return true;
  }

  /** A fresh MCP server per request (stateless), whose handlers forward to the upstream. */
  async function serveMcp(req: IncomingMessage, res: ServerResponse, caller: Caller, { denials, credentials }: Decided, body: unknown) {
    const info = upstream.serverInfo;
    const mcp = new Server(
      { name: info?.name ?? "warden-gateway", version: info?.version ?? "0.0.0" },
      { capabilities: { tools: { listChanged: false } }, ...(upstream.instructions ? { instructions: upstream.instructions } : {}) },
    );
    // Listing carries no caller credential: the gateway's catalog is shared by every caller and narrowed per caller by Warden's grants.
    mcp.setRequestHandler(ListToolsRequestSchema, async (request) => {
      const page = await upstream.listTools(request.params?.cursor, settings.upstreamTimeoutMs);
      const shown = screen(page.tools);
      return filterToolsList(warden, { ...page, tools: shown }, caller.claims, caller.clientId);
    });
    mcp.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      const denial = denials.get(extra.requestId);
      if (denial !== undefined) return { isError: true, content: [{ type: "text", text: denial }] };
      // Only calls decided above reach here; anything else (e.g. a notification-shaped call) is refused.
      if (!hasDecision(extra.requestId)) throw new McpError(ErrorCode.InvalidRequest, "This call was not decided by Warden.");
      const progressToken = request.params._meta?.progressToken;
      const flight = track(caller, extra.requestId, extra.signal);
      try {
        return await upstream.callTool(request.params.name, request.params.arguments, {
          signal: flight.signal,
          timeoutMs: settings.upstreamTimeoutMs,
          headers: credentials.get(extra.requestId),
          onprogress:
            progressToken === undefined
              ? undefined
              : (progress) => void extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => undefined),
        });
      } catch (error) {
        if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
          return { isError: true, content: [{ type: "text", text: `The upstream MCP server did not answer ${request.params.name} within ${Math.round(settings.upstreamTimeoutMs / 1000)} s.` }] };
        }
        throw error;
      } finally {
        flight.done();
      }
    });
    const decided = new Set(decidedIds(body));
    const hasDecision = (id: string | number) => decided.has(id);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return { handle, close: () => drift.close() };
}

/** What was decided for a request's calls before any reached the upstream: refusals, and each allowed call's upstream credential. */
type Decided = { denials: Map<string | number, string>; credentials: Map<string | number, Record<string, string>> };

/**
 * The SDK's token exchanger, authenticated with the gateway's own API key.
 * Its cache is dropped whenever a new Warden config applies, so a delegation
 * removed and published stops working at once rather than when the cached
 * tokens expire.
 */
function upstreamCredentials(deps: GatewayDeps, exchange: NonNullable<GatewaySettings["tokenExchange"]>) {
  const exchanger = createTokenExchanger({ url: deps.settings.warden.url, apiKey: deps.settings.warden.apiKey, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  let seenVersion: number | undefined;
  return {
    async tokenFor(incomingToken: string, tool: string): Promise<string> {
      const version = deps.warden.config?.version;
      if (version !== seenVersion) {
        exchanger.clear();
        seenVersion = version;
      }
      const token = await exchanger.tokenFor(incomingToken, { audience: exchange.audience, ...(exchange.scope.length ? { scope: exchange.scope } : {}), tool });
      return token.accessToken;
    },
  };
}

function decidedIds(body: unknown): (string | number)[] {
  const items = Array.isArray(body) ? body : [body];
  return items.flatMap((item) => {
    const message = item as JsonRpcMessage;
    return message?.method === "tools/call" && (typeof message.id === "string" || typeof message.id === "number") ? [message.id] : [];
  });
}

function scopesSupported(warden: WardenClient): string[] | undefined {
  const config = warden.config;
  if (!config) return undefined;
  const server = config.config.servers.find((entry) => entry.name === config.server);
  return server?.scopesSupported.length ? server.scopesSupported : undefined;
}

/**
 * Access tokens from the configured authorization server only, with `aud`
 * equal to this gateway's resource (RFC 8707): a token minted for another
 * server is refused, so it cannot be replayed here. Verified tokens are
 * remembered until they expire, so a busy agent does not cost a signature
 * check per call.
 */
function tokenVerifier(settings: Pick<GatewaySettings, "issuer" | "jwksUri" | "resource">) {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  const jwks = () =>
    (keys ??= (async () => {
      if (settings.jwksUri) return createRemoteJWKSet(new URL(settings.jwksUri));
      const base = settings.issuer.endsWith("/") ? settings.issuer : `${settings.issuer}/`;
      for (const path of [".well-known/openid-configuration", ".well-known/oauth-authorization-server"]) {
        const response = await fetch(new URL(path, base), { signal: AbortSignal.timeout(10_000) }).catch(() => null);
        if (!response?.ok) continue;
        const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: string };
        if (jwksUri) return createRemoteJWKSet(new URL(jwksUri));
      }
      throw new Error("the authorization server's metadata (with jwks_uri) is unavailable");
    })().catch((error: unknown) => {
      keys = null;
      throw error;
    }));
  const verified = new Map<string, { claims: JWTPayload; exp: number }>();
  return async (token: string): Promise<JWTPayload> => {
    const cached = verified.get(token);
    if (cached && cached.exp * 1000 > Date.now()) return cached.claims;
    const { payload } = await jwtVerify(token, await jwks(), { issuer: settings.issuer, audience: settings.resource, clockTolerance: 30 });
    if (typeof payload.exp !== "number") throw new Error("the token has no expiry");
    if (verified.size >= TOKEN_CACHE_MAX) verified.clear();
    verified.set(token, { claims: payload, exp: payload.exp });
    return payload;
  };
}

/**
 * Tells Warden which approved tools the upstream now defines differently, so
 * the server's page shows them as changed since approval. Each (tool, hash)
 * is reported once per process; a failed report is tried again at the next
 * listing that shows the drift.
 */
function driftReporter(deps: GatewayDeps) {
  const reported = new Set<string>();
  const doFetch = deps.fetch ?? fetch;
  let pending: Promise<void> = Promise.resolve();
  return {
    report(tools: LiveDefinition[], hashOf: (tool: LiveDefinition) => string) {
      const fresh = tools.filter((tool) => !reported.has(`${tool.name}|${hashOf(tool)}`));
      if (!fresh.length) return;
      for (const tool of fresh) reported.add(`${tool.name}|${hashOf(tool)}`);
      deps.logger.warn(`upstream tools changed since approval, hidden and refused: ${fresh.map((tool) => tool.name).join(", ")}`);
      pending = pending.then(async () => {
        try {
          const response = await doFetch(new URL("/api/v1/tool-drift", deps.settings.warden.url), {
            method: "POST",
            headers: { authorization: `Bearer ${deps.settings.warden.apiKey}`, "content-type": "application/json" },
            body: JSON.stringify({ tools: fresh }),
            signal: AbortSignal.timeout(15_000),
          });
          if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
        } catch (error) {
          for (const tool of fresh) reported.delete(`${tool.name}|${hashOf(tool)}`);
          deps.logger.warn(`could not report tool drift to Warden: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    },
    close: () => pending,
  };
}

/** Frozen all the way down: a remembered decision is shared by every call it decides. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

type Body = { ok: true; value: unknown } | { ok: false; status: number; code: number; message: string };

/** Reads a JSON body up to `max` bytes; a larger one is refused (413) before it is buffered. */
async function readBody(req: IncomingMessage, max: number): Promise<Body> {
  const tooLarge = { ok: false, status: 413, code: -32600, message: `The request is larger than ${max} bytes.` } as const;
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > max) return tooLarge;
  // Plain listeners rather than an async iterator: this runs once per request.
  const bytes = await new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      // Neither buffered nor read further: the 413 closes the connection.
      req.off("data", onData).pause();
      resolve(null);
    };
    req.on("data", onData);
    let ended = false;
    req.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.once("error", reject);
    // Every request closes, mostly after its end: an Error (and its stack trace) is made only for one that did not end.
    req.once("close", () => ended || reject(new Error("the request closed before its body ended")));
  });
  return bytes === null ? tooLarge : parseBodyText(bytes);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(body));
}
