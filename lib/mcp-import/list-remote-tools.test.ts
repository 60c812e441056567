import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRemoteTools } from "./list-remote-tools";
import { startEverythingServer, type RunningEverythingServer } from "./testing/everything-server";

// A real third-party MCP server (@modelcontextprotocol/server-everything),
// plus two plain HTTP servers that are not MCP endpoints at all.
describe("listing the tools of a live MCP server", () => {
  let everything: RunningEverythingServer;
  let webPage: Server;
  let jsonApi: Server;
  const origin = (server: Server) => `127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    everything = await startEverythingServer();
    webPage = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>Welcome</html>"));
    jsonApi = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"hello":"world"}'));
    await Promise.all([webPage, jsonApi].map((server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))));
  });
  afterAll(async () => {
    await everything.close();
    webPage.close();
    jsonApi.close();
  });

  it("declares an agent's capabilities, so tools offered only to capable clients arrive too", async () => {
    const names = (await listRemoteTools({ url: everything.url })).map((tool) => tool.name);
    // Listed by server-everything only to clients declaring roots, sampling, elicitation or tasks.
    for (const conditional of ["get-roots-list", "trigger-sampling-request", "trigger-elicitation-request", "trigger-url-elicitation", "simulate-research-query"]) {
      expect(names).toContain(conditional);
    }
    expect(names).toHaveLength(19);
  });

  it("keeps every field of a definition: outputSchema, execution and the rest", async () => {
    const tools = await listRemoteTools({ url: everything.url });
    const structured = tools.find((tool) => tool.name === "get-structured-content")!;
    expect(structured.outputSchema).toMatchObject({ type: "object" });
    expect(tools.find((tool) => tool.name === "simulate-research-query")!.execution).toEqual({ taskSupport: "required" });
  });

  it("explains in a sentence when the URL is a web page, not an MCP endpoint", async () => {
    const error = await listRemoteTools({ url: `http://${origin(webPage)}/mcp` }, { timeoutMs: 5_000 }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe(`http://${origin(webPage)}/mcp answered with a text/html page, not MCP. Is this the MCP endpoint (often ending in /mcp)?`);
  });

  it("explains in a sentence when the URL answers JSON that is not MCP, without raw validation output", async () => {
    const error = (await listRemoteTools({ url: `http://${origin(jsonApi)}/api` }, { timeoutMs: 5_000 }).catch((caught: Error) => caught)) as Error;
    expect(error.message).toBe(`http://${origin(jsonApi)}/api answered, but not with MCP messages (JSON-RPC). Is this the MCP endpoint (often ending in /mcp)?`);
  });

  it("says so when https is used against a port that speaks plain http", async () => {
    const error = (await listRemoteTools({ url: `https://${origin(webPage)}/mcp` }, { timeoutMs: 5_000 }).catch((caught: Error) => caught)) as Error;
    expect(error.message).toMatch(/does not speak TLS: that port answers plain http/);
  });
});
