import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

type EverythingFactory = () => { server: McpServer; cleanup: (sessionId?: string) => void };

export type RunningEverythingServer = { url: string; close: () => Promise<void> };

/**
 * The third-party `@modelcontextprotocol/server-everything` (its own server
 * factory and tools, unchanged), served over Streamable HTTP on loopback.
 * Its bundled launcher listens on every interface and offers no way to bind
 * one, so tests wire its factory to a transport of their own instead.
 */
export async function startEverythingServer(): Promise<RunningEverythingServer> {
  const packageJson = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json");
  const factoryUrl = pathToFileURL(packageJson.replace(/package\.json$/, "dist/server/index.js")).href;
  const { createServer } = (await import(factoryUrl)) as { createServer: EverythingFactory };

  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; cleanup: () => void }>();
  const http = createHttpServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (existing) return await existing.transport.handleRequest(req, res);
      if (req.method !== "POST") {
        res.writeHead(400).end("No session");
        return;
      }
      const { server, cleanup } = createServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, { transport, cleanup: () => cleanup(id) }),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.get(transport.sessionId)?.cleanup();
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  }

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      for (const session of sessions.values()) session.cleanup();
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
