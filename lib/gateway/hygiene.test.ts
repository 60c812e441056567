import { describe, expect, it } from "vitest";
import { checkHostAndOrigin, checkMcpHeaders, parseMessages } from "./hygiene";

const allowed = { hosts: ["tools.example.com", "127.0.0.1:3400"], origins: ["https://tools.example.com"] };
const call = (name: string) => ({ jsonrpc: "2.0" as const, id: 1, method: "tools/call", params: { name } });

describe("Host and Origin (DNS rebinding)", () => {
  it("accepts a known host with no Origin (an agent) or an allowed one (a browser on the right page)", () => {
    expect(checkHostAndOrigin({ host: "tools.example.com" }, allowed)).toBeNull();
    expect(checkHostAndOrigin({ host: "TOOLS.example.com", origin: "https://tools.example.com" }, allowed)).toBeNull();
  });
  it("refuses a host it does not answer for, and a foreign origin", () => {
    expect(checkHostAndOrigin({ host: "attacker.example" }, allowed)).toMatchObject({ status: 421 });
    expect(checkHostAndOrigin({}, allowed)).toMatchObject({ status: 421 });
    expect(checkHostAndOrigin({ host: "127.0.0.1:3400", origin: "https://attacker.example" }, allowed)).toMatchObject({ status: 403, error: "forbidden_origin" });
    expect(checkHostAndOrigin({ host: "127.0.0.1:3400", origin: "null" }, allowed)).toMatchObject({ status: 403 });
  });
});

describe("JSON-RPC bodies", () => {
  it("takes one message or a batch", () => {
    expect(parseMessages(call("echo"))).toMatchObject({ ok: true, messages: [{ method: "tools/call" }] });
    expect(parseMessages([call("a"), call("b")])).toMatchObject({ ok: true, messages: [{}, {}] });
  });
  it("refuses anything else with a reason", () => {
    expect(parseMessages([])).toMatchObject({ ok: false });
    expect(parseMessages("hello")).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "1.0", method: "x" })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: {}, method: "x" })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: null, method: "x" })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: 1, method: 7 })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: 1, method: "x", params: ["a"] })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: 1, method: "x", params: null })).toMatchObject({ ok: false });
    expect(parseMessages([call("a"), null])).toMatchObject({ ok: false });
  });
});

describe("Mcp-Method / Mcp-Name headers", () => {
  it("are optional, and accepted when they agree with the body", () => {
    expect(checkMcpHeaders({}, [call("echo")])).toBeNull();
    expect(checkMcpHeaders({ method: "tools/call", name: "echo" }, [call("echo")])).toBeNull();
    expect(checkMcpHeaders({ method: "tools/list" }, [{ jsonrpc: "2.0", id: 1, method: "tools/list" }])).toBeNull();
    expect(checkMcpHeaders({ method: "resources/read", name: "file:///a" }, [{ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "file:///a" } }])).toBeNull();
  });
  it("refuse a request whose headers name another method or tool than its body", () => {
    expect(checkMcpHeaders({ method: "tools/list" }, [call("echo")])).toMatchObject({ status: 400, error: "header_mismatch" });
    expect(checkMcpHeaders({ method: "tools/call", name: "get-env" }, [call("echo")])).toMatchObject({ status: 400 });
    expect(checkMcpHeaders({ method: "tools/call" }, [call("echo")])).toMatchObject({ status: 400 });
    expect(checkMcpHeaders({ name: "echo" }, [{ jsonrpc: "2.0", id: 1, method: "tools/list" }])).toMatchObject({ status: 400 });
  });
  it("refuse headers on a batch, which they cannot describe", () => {
    expect(checkMcpHeaders({ method: "tools/call", name: "echo" }, [call("echo"), call("get-env")])).toMatchObject({ status: 400 });
  });
});
