import { jsonTextTooDeep, MAX_JSON_DEPTH, textProblem } from "@/lib/input/rules";
import { AUDIT_EVENT_FIELDS } from "@/sdk/src/contract/audit-event";

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
    // A number past 2^53 was already rounded by JSON.parse: the answer would carry an id the caller never sent.
    if (typeof item.id === "number" && !Number.isSafeInteger(item.id)) {
      return { ok: false, message: "A message id must be a string or a whole number between -(2^53 - 1) and 2^53 - 1." };
    }
  }
  return { ok: true, messages: items as JsonRpcMessage[] };
}

/**
 * Why a tools/call could not be audited as sent, or null: its tool name or
 * request id is text the audit trail does not store (longer than the
 * contract allows, U+0000, a lone surrogate, outer whitespace). Such a call
 * is refused rather than decided, since its decision would never reach the
 * trail: the audit reporter drops an event Warden would refuse.
 */
export function unauditableCall(message: JsonRpcMessage): string | null {
  if (message.method !== "tools/call") return null;
  const name = message.params?.name;
  if (typeof name === "string" && !AUDIT_EVENT_FIELDS.tool.wire.safeParse(name).success) {
    return "The tool name cannot be recorded in the audit trail: at most 200 characters of well-formed text, without U+0000 or outer whitespace.";
  }
  if (typeof message.id === "string" && !AUDIT_EVENT_FIELDS.requestId.wire.safeParse(message.id).success) {
    return "The request id cannot be recorded in the audit trail: at most 200 characters of well-formed text, without U+0000 or outer whitespace.";
  }
  return null;
}

/** The media type an MCP message is POSTed with (Streamable HTTP); anything else is refused with 415. */
export function checkContentType(contentType: string | undefined): Refusal | null {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (media === "application/json") return null;
  return { status: 415, error: "unsupported_media_type", message: "Send MCP messages with Content-Type: application/json." };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A request body as JSON: bytes that are not UTF-8 are refused rather than
 * passed on as U+FFFD, and a document nested deeper than MAX_JSON_DEPTH is
 * refused before JSON.parse builds it (the MCP SDK's validation would
 * otherwise overflow the stack and the call fail as a 5xx).
 */
export function parseBodyText(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; status: 400; code: number; message: string } {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, status: 400, code: -32700, message: "Parse error: the body is not valid UTF-8." };
  }
  if (jsonTextTooDeep(text, MAX_JSON_DEPTH)) return { ok: false, status: 400, code: -32600, message: `The message is nested deeper than ${MAX_JSON_DEPTH} levels.` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: -32700, message: "Parse error: the body is not JSON." };
  }
}

const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Why a verified token cannot be served: a time claim no real token carries,
 * or a caller Warden's audit trail could not record; null when it can. The SDK drops an event whose actor or client id is not storable
 * text, so such a caller's calls would leave no trace: the token is refused.
 */
export function callerProblem(claims: { sub?: unknown; client_id?: unknown; azp?: unknown; exp?: unknown; iat?: unknown }, nowSeconds = Date.now() / 1000): string | null {
  // jose takes any number: exp 1e309 (Infinity) would keep a token valid, and cached, for ever.
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) return "the token has no finite expiry (exp)";
  if (typeof claims.iat === "number" && !(claims.iat <= nowSeconds + CLOCK_TOLERANCE_SECONDS)) return "the token claims to be issued in the future (iat)";
  for (const [name, value] of [["sub", claims.sub], ["client_id", claims.client_id], ["azp", claims.azp]] as const) {
    if (typeof value !== "string") continue;
    const problem = textProblem(value);
    if (problem) return `the token's ${name} claim ${problem}, so its calls could not be audited`;
  }
  return null;
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
