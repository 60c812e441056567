import { AsyncLocalStorage } from "node:async_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult, type ListToolsResult, type Progress, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { keepAliveFetch, keepAlivePost, type PlainPost } from "./http-fetch";
import type { Upstream } from "./settings";

export type UpstreamLogger = { info: (message: string) => void; warn: (message: string) => void };

export type CallOptions = {
  signal?: AbortSignal;
  timeoutMs: number;
  onprogress?: (progress: Progress) => void;
  /** Sent on this call's request only (the caller's on-behalf-of token), never on the shared session's other requests. */
  headers?: Record<string, string>;
};

const RECONNECT_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000, 10_000];

/**
 * One MCP client session with the upstream, shared by every caller: the
 * upstream never sees who the caller is, only the gateway. A stdio upstream is
 * spawned here and respawned with backoff if it exits; an HTTP upstream is
 * reconnected the same way if its session is lost.
 *
 * Credentials: the upstream gets none, the static header from the
 * environment, or, per tools/call, a header the gateway passes in
 * `CallOptions.headers` (a token Warden issued on the caller's behalf). The
 * caller's own access token is never forwarded (it is audienced to the
 * gateway, and forwarding it would let the upstream replay it). A per-call
 * header rides on that call's HTTP request only, so one shared session serves
 * every caller; a stdio upstream has no request to carry it.
 */
export class UpstreamConnection {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private attempts = 0;
  private closed = false;
  private fetchImpl: typeof fetch | undefined;
  private transport: Transport | undefined;
  private callIds = 0;
  private post: PlainPost | undefined;
  private listChanged = new Set<() => void>();
  serverInfo: { name: string; version: string } | undefined;
  instructions: string | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly logger: UpstreamLogger,
  ) {}

  /** Called when the upstream says its tools changed (the cached definitions must be re-read). */
  onToolsChanged(listener: () => void) {
    this.listChanged.add(listener);
  }

  /** The session for a caller: the shared one; per-caller credentials ride on each call's request (see the class comment). */
  connectionFor(): Promise<Client> {
    return this.connect();
  }

  async listTools(cursor: string | undefined, timeoutMs: number): Promise<ListToolsResult> {
    const client = await this.connect();
    return client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
  }

  /** Every page of the upstream's tools/list. */
  async listAllTools(timeoutMs: number): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listTools(cursor, timeoutMs);
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor && tools.length < 10_000);
    return tools;
  }

  async callTool(name: string, args: Record<string, unknown> | undefined, options: CallOptions): Promise<CallToolResult> {
    const client = await this.connectionFor();
    if (options.headers && this.upstream.kind !== "http") throw new Error("A per-call credential needs an HTTP upstream.");
    if (this.upstream.kind === "http" && !options.onprogress && this.transport instanceof StreamableHTTPClientTransport) {
      const answer = await postCall(this.upstream, this.transport, client, (this.post ??= keepAlivePost()), { name, args, ...options }, ++this.callIds);
      if (answer !== FALL_BACK) return answer;
    }
    // Progress keeps a long call alive; the total cap still holds it to 10× the per-step timeout.
    // The shared transport's fetch adds this call's headers: the request is sent within this async context.
    return (await callHeaders.run(options.headers, () => client.callTool({ name, arguments: args }, undefined, {
      signal: options.signal,
      timeout: options.timeoutMs,
      onprogress: options.onprogress,
      resetTimeoutOnProgress: options.onprogress !== undefined,
      maxTotalTimeout: options.timeoutMs * 10,
    }))) as CallToolResult;
  }

  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error("The gateway is shutting down."));
    // Opened outside any call's context: the session itself never carries a caller's credential.
    return (this.connecting ??= callHeaders.exit(() => this.open()).finally(() => (this.connecting = null)));
  }

  private async open(): Promise<Client> {
    const client = new Client({ name: "warden-gateway", version: "1.0.0" }, { capabilities: {} });
    const transport = (this.transport = this.newTransport());
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      for (const listener of this.listChanged) listener();
    });
    try {
      await client.connect(transport, { timeout: 30_000 });
    } catch (error) {
      await client.close().catch(() => undefined);
      this.scheduleReconnect(error);
      throw new Error(`The upstream MCP server is unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.attempts = 0;
    this.serverInfo = client.getServerVersion();
    this.instructions = client.getInstructions();
    client.onclose = () => {
      if (this.client !== client) return;
      this.client = null;
      for (const listener of this.listChanged) listener();
      if (!this.closed) this.scheduleReconnect(new Error("the connection closed"));
    };
    this.client = client;
    this.logger.info(`connected to upstream ${this.serverInfo?.name ?? "(unnamed)"} ${this.serverInfo?.version ?? ""}`.trim());
    return client;
  }

  private newTransport(): Transport {
    if (this.upstream.kind === "http") {
      return new StreamableHTTPClientTransport(new URL(this.upstream.url), { requestInit: { headers: this.upstream.headers, redirect: "error" }, fetch: (this.fetchImpl ??= withCallHeaders(keepAliveFetch())) });
    }
    const transport = new StdioClientTransport({ command: this.upstream.command, args: this.upstream.args, env: this.upstream.env, stderr: "pipe" });
    transport.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) this.logger.info(`[upstream] ${line}`);
    });
    return transport;
  }

  // A crashed stdio server is respawned, with growing delays so a server that dies on start does not spin.
  private scheduleReconnect(error: unknown) {
    if (this.closed) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempts, RECONNECT_DELAYS_MS.length - 1)]!;
    this.attempts += 1;
    this.logger.warn(`upstream lost (${error instanceof Error ? error.message : String(error)}); reconnecting in ${delay} ms`);
    callHeaders.exit(() => setTimeout(() => void this.connect().catch(() => undefined), delay).unref());
  }

  async close() {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => undefined);
  }
}

/** The headers of the tools/call being sent, for the MCP client's path (which builds the request itself). */
const callHeaders = new AsyncLocalStorage<Record<string, string> | undefined>();

function withCallHeaders(inner: typeof fetch): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    const extra = callHeaders.getStore();
    if (!extra) return inner(input, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return inner(input, { ...init, headers });
  }) as typeof fetch;
}

const FALL_BACK = Symbol("fall back to the MCP client");

type JsonRpcReply = { jsonrpc: "2.0"; id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };

/**
 * tools/call on the upstream's existing session as one plain POST. The MCP
 * client's own path reads each answer through several web-stream stages and
 * validates it, which costs milliseconds a call; the caller's MCP client
 * validates the result anyway. Only the plain case comes here (no progress);
 * anything unusual (a non-200, a session the upstream forgot, an unreadable
 * answer) returns FALL_BACK and the MCP client does it properly, reconnecting
 * if need be. A timeout or cancellation tells the upstream with
 * notifications/cancelled, as the client would.
 */
async function postCall(
  upstream: Extract<Upstream, { kind: "http" }>,
  transport: StreamableHTTPClientTransport,
  client: Client,
  post: PlainPost,
  call: { name: string; args: Record<string, unknown> | undefined; signal?: AbortSignal; timeoutMs: number; headers?: Record<string, string> },
  sequence: number,
): Promise<CallToolResult | typeof FALL_BACK> {
  const id = `gateway-${sequence}`;
  const headers: Record<string, string> = { ...upstream.headers, ...call.headers, "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (transport.sessionId) headers["mcp-session-id"] = transport.sessionId;
  if (transport.protocolVersion) headers["mcp-protocol-version"] = transport.protocolVersion;
  if (call.signal?.aborted) throw new McpError(ErrorCode.InternalError, "The call was cancelled by the caller.");
  const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: call.name, ...(call.args === undefined ? {} : { arguments: call.args }) } });
  const request = post(upstream.url, headers, body);
  // Why the gateway gave up on the call (its timeout or the caller's cancellation); undefined while it has not.
  let stopped: unknown;
  const stop = (reason: unknown) => {
    if (stopped !== undefined) return;
    stopped = reason;
    request.abort(reason);
  };
  const timer = setTimeout(() => stop(new McpError(ErrorCode.RequestTimeout, `Request timed out after ${call.timeoutMs} ms`)), call.timeoutMs);
  const onCancel = () => stop(call.signal?.reason ?? new Error("cancelled"));
  call.signal?.addEventListener("abort", onCancel, { once: true });
  try {
    const response = await request.answer;
    if (response.status !== 200) return FALL_BACK;
    const text = response.text;
    const replies: unknown[] = response.contentType.includes("text/event-stream") ? sseMessages(text) : [JSON.parse(text)].flat();
    const reply = replies.find((message): message is JsonRpcReply => typeof message === "object" && message !== null && (message as JsonRpcReply).id === id);
    if (!reply) return FALL_BACK;
    if (reply.error) throw new McpError(reply.error.code, reply.error.message, reply.error.data);
    if (typeof reply.result !== "object" || reply.result === null) return FALL_BACK;
    return reply.result as CallToolResult;
  } catch (error) {
    if (stopped === undefined) {
      if (error instanceof McpError) throw error;
      return FALL_BACK;
    }
    void client.notification({ method: "notifications/cancelled", params: { requestId: id, reason: String(stopped) } }).catch(() => undefined);
    throw stopped instanceof McpError ? stopped : new McpError(ErrorCode.InternalError, "The call was cancelled by the caller.");
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", onCancel);
  }
}

/** The JSON-RPC messages in a complete text/event-stream body (data lines of each event), read in one pass. */
export function sseMessages(body: string): unknown[] {
  const messages: unknown[] = [];
  let data: string[] = [];
  const dispatch = () => {
    if (!data.length) return;
    const text = data.length === 1 ? data[0]! : data.join("\n");
    data = [];
    try {
      messages.push(JSON.parse(text));
    } catch {
      // Not JSON-RPC (empty, or not JSON); the reply we wait for is looked up by id.
    }
  };
  let at = 0;
  while (at < body.length) {
    let end = body.indexOf("\n", at);
    if (end === -1) end = body.length;
    const line = body.charCodeAt(end - 1) === 13 ? body.slice(at, end - 1) : body.slice(at, end);
    at = end + 1;
    // A blank line ends an event; comments (":…"), "event:" and "id:" lines carry nothing the gateway reads.
    if (line === "") dispatch();
    else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  dispatch();
  return messages;
}
