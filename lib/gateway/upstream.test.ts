import { expect, it } from "vitest";
import { sseMessages } from "./upstream";

it("reads the JSON-RPC messages of a complete event stream, skipping comments and non-JSON data", () => {
  const body = [': keep-alive', "", "event: message", 'data: {"jsonrpc":"2.0","method":"notifications/message","params":{}}', "", "id: 7", 'data: {"jsonrpc":"2.0",', 'data: "id":"gateway-1","result":{"content":[]}}', "", "data: not json", "", ""].join("\r\n");
  expect(sseMessages(body)).toEqual([
    { jsonrpc: "2.0", method: "notifications/message", params: {} },
    { jsonrpc: "2.0", id: "gateway-1", result: { content: [] } },
  ]);
  expect(sseMessages("")).toEqual([]);
});
