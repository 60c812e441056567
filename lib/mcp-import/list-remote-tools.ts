import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, McpError, ErrorCode, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { DomainError } from "@/lib/errors";

/** A tool as a live MCP server describes it in tools/list: every field of the definition MCP specifies. */
export type RemoteTool = {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: Record<string, unknown>;
  annotations: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  execution: Record<string, unknown> | null;
  icons: unknown[] | null;
  meta: Record<string, unknown> | null;
};

/**
 * What Warden's importer declares when it lists tools: what a typical agent
 * client has. Some servers list a tool only to clients that can serve its
 * callbacks (roots, sampling, elicitation); a listing without them would miss
 * those tools, which agents would then be denied as unknown.
 */
export const IMPORT_CLIENT_CAPABILITIES = {
  roots: { listChanged: true },
  sampling: {},
  elicitation: { form: {}, url: {} },
  tasks: { requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
} as const;
export const IMPORT_CAPABILITY_NAMES = ["roots", "sampling", "elicitation (forms and URLs)", "tasks"];

export const MAX_REMOTE_TOOLS = 1_000;
const DEFAULT_TIMEOUT_MS = 10_000;

export const RemoteServerSchema = z.object({
  url: z
    .url("Enter the MCP endpoint URL, e.g. https://mcp.example.com/mcp.")
    .max(2_048)
    .refine((value) => /^https?:$/.test(new URL(value).protocol), "Only http and https endpoints can be imported from.")
    .refine((value) => !new URL(value).username && !new URL(value).password, "Put credentials in the bearer token field, not in the URL."),
  bearerToken: z.string().trim().max(8_192).optional(),
});

/**
 * Connects to a live MCP server over Streamable HTTP with the official SDK
 * client and reads every page of tools/list. The token, if any, is sent only
 * to that server and never stored. Redirects are refused: an endpoint that
 * moves must be entered again, so a token never follows it elsewhere.
 *
 * Admins import from their own servers, which commonly sit on private
 * networks, so private addresses are allowed here (unlike the client-metadata
 * fetcher, which reads URLs that agents choose).
 */
export async function listRemoteTools(
  input: z.infer<typeof RemoteServerSchema>,
  options: { timeoutMs?: number } = {},
): Promise<RemoteTool[]> {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = input.bearerToken ? { Authorization: `Bearer ${input.bearerToken}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(input.url), { requestInit: { headers, redirect: "error" } });
  const client = new Client({ name: "warden-tool-import", version: "1.0.0" }, { capabilities: IMPORT_CLIENT_CAPABILITIES });
  // Declared so the server lists every tool; Warden only lists, so a callback
  // the server might send anyway gets no roots and a refusal, never a hang.
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
  const refuse = () => {
    throw new McpError(ErrorCode.InvalidRequest, "Warden only lists tools; it does not sample or elicit.");
  };
  client.setRequestHandler(CreateMessageRequestSchema, refuse);
  client.setRequestHandler(ElicitRequestSchema, refuse);
  try {
    await client.connect(transport, { timeout });
    const tools: RemoteTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
      for (const tool of page.tools) tools.push(remoteToolOf(tool));
      if (tools.length > MAX_REMOTE_TOOLS) throw new DomainError(`The server lists more than ${MAX_REMOTE_TOOLS} tools; Warden imports at most that many at once.`);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  } catch (error) {
    throw explain(error, input.url, timeout);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * A listed tool as Warden records and hashes it. The title lives in its own
 * field; annotations keep only the behaviour hints. The importer and the
 * gateway's rug-pull check both use it, so a tool hashes the same in each.
 */
export function remoteToolOf(tool: Tool): RemoteTool {
  const { title: annotationTitle, ...hints } = (tool.annotations ?? {}) as Record<string, unknown>;
  return {
    name: tool.name,
    title: tool.title ?? (typeof annotationTitle === "string" ? annotationTitle : null),
    description: tool.description ?? null,
    inputSchema: tool.inputSchema as Record<string, unknown>,
    annotations: hints,
    outputSchema: (tool.outputSchema as Record<string, unknown> | undefined) ?? null,
    execution: (tool.execution as Record<string, unknown> | undefined) ?? null,
    icons: (tool.icons as unknown[] | undefined) ?? null,
    meta: (tool._meta as Record<string, unknown> | undefined) ?? null,
  };
}

// The messages of an error and of every error it was caused by, for matching.
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    parts.push(current instanceof Error ? `${current.message} ${(current as { code?: string }).code ?? ""}` : String(current));
  }
  return parts.join(" | ");
}

function explain(error: unknown, url: string, timeout: number): DomainError {
  if (error instanceof DomainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const everything = messagesOf(error);
  if (url.startsWith("https:") && /wrong version number|EPROTO|packet length too long|ERR_SSL/i.test(everything)) {
    return new DomainError(`${url} does not speak TLS: that port answers plain http. Use ${url.replace(/^https:/, "http:")} (on a trusted network only), or the server's https port.`);
  }
  if (/Unexpected content type/i.test(message)) {
    const type = /content type: ([^\s,;]+)/i.exec(message)?.[1];
    return new DomainError(`${url} answered with ${type ? `a ${type} page` : "something else"}, not MCP. Is this the MCP endpoint (often ending in /mcp)?`);
  }
  // The SDK reports a reply that is not JSON-RPC as its raw validation errors, which say nothing to an admin.
  if (/invalid_union|invalid_value|"jsonrpc"|JSON-RPC|Unexpected token|is not valid JSON/i.test(message)) {
    return new DomainError(`${url} answered, but not with MCP messages (JSON-RPC). Is this the MCP endpoint (often ending in /mcp)?`);
  }
  const code = error instanceof StreamableHTTPError ? error.code : undefined;
  if (code === 401 || code === 403 || /\b40[13]\b/.test(message)) {
    return new DomainError(`${url} refused the request (${code ?? "unauthorized"}). Check the bearer token.`);
  }
  if (code === 404 || /\b404\b/.test(message)) return new DomainError(`${url} answered 404. Is this the MCP endpoint (often ending in /mcp)?`);
  if (/timed? ?out/i.test(message)) return new DomainError(`${url} did not answer within ${Math.round(timeout / 1000)} s.`);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ECONNRESET|EHOSTUNREACH/i.test(message) || /ECONNREFUSED|ENOTFOUND/.test(String((error as { cause?: unknown })?.cause))) {
    return new DomainError(`Could not connect to ${url}. Check the address and that the server is running.`);
  }
  if (/redirect/i.test(message)) return new DomainError(`${url} redirected elsewhere. Enter the final MCP endpoint URL.`);
  return new DomainError(`${url} did not answer as an MCP server: ${message.slice(0, 200)}`);
}
