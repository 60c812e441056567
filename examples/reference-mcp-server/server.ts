/**
 * A reference MCP server built on the official SDK: a small "sales" service
 * with a read-only tool, a listing tool, and a destructive one. Tests use it as
 * a real peer (tool import today; config polling and enforcement through the
 * Warden SDK later). Run it alone with `npx tsx examples/reference-mcp-server/server.ts`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export type ReferenceToolOverrides = { getInvoiceDescription?: string; extraTool?: boolean; dropRefund?: boolean };

export function createReferenceMcpServer(overrides: ReferenceToolOverrides = {}): McpServer {
  const server = new McpServer({ name: "sales-mcp", version: "1.0.0" });
  server.registerTool(
    "get_invoice",
    {
      title: "Get invoice",
      description: overrides.getInvoiceDescription ?? "Returns one invoice by its id.",
      inputSchema: { invoiceId: z.string().describe("The invoice id, e.g. INV-1001") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ invoiceId }) => ({ content: [{ type: "text", text: JSON.stringify({ invoiceId, amount: 1200, currency: "EUR" }) }] }),
  );
  server.registerTool(
    "list_customers",
    {
      title: "List customers",
      description: "Lists customers, newest first.",
      inputSchema: { limit: z.number().int().min(1).max(100).optional() },
      annotations: { readOnlyHint: true },
    },
    async () => ({ content: [{ type: "text", text: JSON.stringify([{ id: "C-1", name: "Acme" }]) }] }),
  );
  if (!overrides.dropRefund) {
    server.registerTool(
      "refund_payment",
      {
        title: "Refund a payment",
        description: "Refunds a captured payment. Irreversible.",
        inputSchema: { paymentId: z.string(), amount: z.number().positive() },
        annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      async ({ paymentId, amount }) => ({ content: [{ type: "text", text: `refunded ${amount} on ${paymentId}` }] }),
    );
  }
  if (overrides.extraTool) {
    server.registerTool(
      "export_customers",
      { title: "Export customers", description: "Exports every customer as CSV.", inputSchema: {}, annotations: { readOnlyHint: true } },
      async () => ({ content: [{ type: "text", text: "id,name\nC-1,Acme\n" }] }),
    );
  }
  return server;
}

export type RunningReferenceServer = { url: string; close: () => Promise<void>; server: Server };

/**
 * Serves the reference server over Streamable HTTP (stateless: a fresh server
 * and transport per request) at /mcp on a loopback port. With `bearerToken`,
 * requests without that token get 401, as an OAuth-protected server would.
 */
export async function startReferenceMcpServer(
  options: { port?: number; bearerToken?: string; overrides?: ReferenceToolOverrides } = {},
): Promise<RunningReferenceServer> {
  const http = createServer(async (req, res) => {
    if (!req.url?.startsWith("/mcp")) {
      res.writeHead(404).end();
      return;
    }
    if (options.bearerToken && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="sales-mcp"', "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_token" }));
      return;
    }
    const mcp = createReferenceMcpServer(options.overrides);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    server: http,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

if (process.argv[1]?.endsWith("reference-mcp-server/server.ts")) {
  const port = Number(process.env.PORT ?? 3333);
  void startReferenceMcpServer({ port }).then(({ url }) => console.log(`reference MCP server on ${url}`));
}
