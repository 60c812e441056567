/** A refusal before any MCP processing: HTTP status and a sentence for the caller. */
export type Refusal = { status: number; error: string; message: string };

/**
 * DNS rebinding defence (MCP transports spec): a browser page on an attacker's
 * domain that resolves to this gateway's address still sends its own Host and
 * Origin. Host must be one this gateway answers as; Origin, when sent, must be
 * allowed. Agents (not browsers) usually send no Origin, which is fine.
 */
export function checkHostAndOrigin(headers: { host?: string; origin?: string }, allowed: { hosts: string[]; origins: string[] }): Refusal | null {
  const host = (headers.host ?? "").toLowerCase();
  if (!allowed.hosts.some((candidate) => candidate.toLowerCase() === host)) {
    return { status: 421, error: "misdirected_request", message: `This gateway does not answer for host ${host || "(none)"}.` };
  }
  if (headers.origin !== undefined && !allowed.origins.some((candidate) => candidate.toLowerCase() === headers.origin!.toLowerCase())) {
    return { status: 403, error: "forbidden_origin", message: `Requests from origin ${headers.origin} are not allowed.` };
  }
  return null;
}

/** The parts of a JSON-RPC message the gateway looks at; the MCP SDK validates the rest. */
export type JsonRpcMessage = { jsonrpc: "2.0"; id?: string | number; method?: string; params?: Record<string, unknown>; [key: string]: unknown };

/**
 * A JSON-RPC 2.0 message as far as the gateway reads it: `jsonrpc` "2.0", an
 * `id` that is a string or a number when present, a string `method` when
 * present, and `params` an object when present. Checked by hand, not with a
 * schema: every request passes here.
 */
function isJsonRpcMessage(item: unknown): item is JsonRpcMessage {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
  const { jsonrpc, id, method, params } = item as Record<string, unknown>;
  if (jsonrpc !== "2.0") return false;
  if (id !== undefined && typeof id !== "string" && !(typeof id === "number" && Number.isFinite(id))) return false;
  if (method !== undefined && typeof method !== "string") return false;
  return params === undefined || (typeof params === "object" && params !== null && !Array.isArray(params));
}

/** One message or a batch of them, each a JSON-RPC 2.0 object; anything else is refused with 400. */
export function parseMessages(body: unknown): { ok: true; messages: JsonRpcMessage[] } | { ok: false; message: string } {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return { ok: false, message: "An empty batch carries no message." };
  for (const item of items) {
    if (!isJsonRpcMessage(item)) return { ok: false, message: "Each message must be a JSON-RPC 2.0 object." };
  }
  return { ok: true, messages: items as JsonRpcMessage[] };
}

/** What Mcp-Name names for a method: the tool or prompt name, or the resource URI. */
function nameOf(message: JsonRpcMessage): string | undefined {
  const params = message.params ?? {};
  if (message.method === "tools/call" || message.method === "prompts/get") return typeof params.name === "string" ? params.name : undefined;
  if (message.method === "resources/read" || message.method === "resources/subscribe" || message.method === "resources/unsubscribe") return typeof params.uri === "string" ? params.uri : undefined;
  return undefined;
}

/**
 * Newer MCP protocol versions repeat the method (and the tool, prompt or
 * resource) in Mcp-Method / Mcp-Name headers so proxies can route without
 * reading the body. A gateway that decided on the headers while the upstream
 * acted on the body could be steered around its policy, so when the headers
 * are present they must agree with the body exactly.
 */
export function checkMcpHeaders(headers: { method?: string; name?: string }, messages: JsonRpcMessage[]): Refusal | null {
  if (headers.method === undefined && headers.name === undefined) return null;
  const refuse = (message: string): Refusal => ({ status: 400, error: "header_mismatch", message });
  if (messages.length !== 1) return refuse("Mcp-Method and Mcp-Name describe one message; this request carries a batch.");
  const [message] = messages as [JsonRpcMessage];
  if (headers.method !== undefined && headers.method !== message.method) {
    return refuse(`The Mcp-Method header (${headers.method}) disagrees with the body's method (${message.method ?? "none"}).`);
  }
  const name = nameOf(message);
  if (headers.name !== undefined && headers.name !== name) return refuse(`The Mcp-Name header (${headers.name}) disagrees with the body (${name ?? "no name"}).`);
  if (headers.name === undefined && name !== undefined && headers.method !== undefined) return refuse(`Send Mcp-Name (${name}) with Mcp-Method ${message.method}.`);
  return null;
}
