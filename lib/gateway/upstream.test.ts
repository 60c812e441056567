import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEverythingServer, type RunningEverythingServer } from "@/lib/mcp-import/testing/everything-server";
import { sseMessages, UpstreamConnection } from "./upstream";

const silent = { info() {}, warn() {} };
let everything: RunningEverythingServer;
let upstream: UpstreamConnection;

beforeAll(async () => {
  everything = await startEverythingServer();
  upstream = new UpstreamConnection({ kind: "http", url: everything.url, headers: {} }, silent);
  await upstream.connect();
});

afterAll(async () => {
  await upstream.close();
  await everything.close();
});

it("reads the JSON-RPC messages of a complete event stream, skipping comments and non-JSON data", () => {
  const body = [': keep-alive', "", "event: message", 'data: {"jsonrpc":"2.0","method":"notifications/message","params":{}}', "", "id: 7", 'data: {"jsonrpc":"2.0",', 'data: "id":"gateway-1","result":{"content":[]}}', "", "data: not json", "", ""].join("\r\n");
  expect(sseMessages(body)).toEqual([
    { jsonrpc: "2.0", method: "notifications/message", params: {} },
    { jsonrpc: "2.0", id: "gateway-1", result: { content: [] } },
  ]);
  expect(sseMessages("")).toEqual([]);
});

it("answers a plain call, and gives up on one past its timeout or once the caller cancels it", async () => {
  const echoed = await upstream.callTool("echo", { message: "hi" }, { timeoutMs: 5_000 });
  expect(echoed.content).toEqual([{ type: "text", text: "Echo: hi" }]);

  const started = Date.now();
  const late = upstream.callTool("trigger-long-running-operation", { duration: 10, steps: 10 }, { timeoutMs: 300 });
  await expect(late).rejects.toSatisfy((error) => error instanceof McpError && error.code === ErrorCode.RequestTimeout);
  expect(Date.now() - started).toBeLessThan(5_000);

  const cancel = new AbortController();
  const cancelled = upstream.callTool("trigger-long-running-operation", { duration: 10, steps: 10 }, { timeoutMs: 30_000, signal: cancel.signal });
  setTimeout(() => cancel.abort(new Error("no longer needed")), 100);
  await expect(cancelled).rejects.toThrow(/cancelled/);
  // The session is still good for the next call.
  expect((await upstream.callTool("echo", { message: "again" }, { timeoutMs: 5_000 })).content).toEqual([{ type: "text", text: "Echo: again" }]);
});

it("reads an event stream with bare newlines, several events, and a last event without its blank line", () => {
  expect(sseMessages('event: message\ndata: {"id":1}\n\ndata: {"id":2}\n\ndata: {"id":\ndata: 3}')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  expect(sseMessages("data:\n\n: only a comment\n\n")).toEqual([]);
});
