import { describe, expect, it } from "vitest";
import { callerProblem, checkContentType, checkHostAndOrigin, checkMcpHeaders, parseBodyText, parseMessages } from "./hygiene";

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
  it("refuses an id JSON.parse had to round, or one with a fraction, since the answer could not carry it back", () => {
    expect(parseMessages(JSON.parse('{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}'))).toMatchObject({ ok: false, message: expect.stringContaining("2^53") });
    expect(parseMessages({ jsonrpc: "2.0", id: 1.5, method: "ping" })).toMatchObject({ ok: false });
    expect(parseMessages({ jsonrpc: "2.0", id: -1, method: "ping" })).toMatchObject({ ok: true });
    expect(parseMessages({ jsonrpc: "2.0", id: 2 ** 31, method: "ping" })).toMatchObject({ ok: true });
  });
});

describe("request bodies", () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
  it("parses UTF-8 JSON, keeping U+0000 and escaped surrogates for the upstream to judge", () => {
    expect(parseBodyText(bytes('{"a":"\\u0000\\ud800"}'))).toEqual({ ok: true, value: { a: "\u0000\ud800" } });
  });
  it("refuses bytes that are not UTF-8, JSON nested past 32 levels (before parsing it) and text that is not JSON", () => {
    expect(parseBodyText(bytes('{"a":"', [0xed, 0xa0, 0x80], '"}'))).toMatchObject({ ok: false, status: 400, code: -32700 });
    expect(parseBodyText(bytes(`${"[".repeat(10_000)}${"]".repeat(10_000)}`))).toMatchObject({ ok: false, status: 400, code: -32600, message: expect.stringContaining("32 levels") });
    expect(parseBodyText(bytes(`${"[".repeat(32)}${"]".repeat(32)}`))).toMatchObject({ ok: true });
    expect(parseBodyText(bytes("not json"))).toMatchObject({ ok: false, code: -32700 });
  });
  it("takes application/json only", () => {
    expect(checkContentType("application/json")).toBeNull();
    expect(checkContentType("Application/JSON; charset=utf-8")).toBeNull();
    for (const type of [undefined, "", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) expect(checkContentType(type)).toMatchObject({ status: 415 });
  });
});

describe("callers", () => {
  const now = 1_800_000_000;
  const exp = now + 600;
  it("refuses a token whose sub or client id the audit trail could not record", () => {
    expect(callerProblem({ sub: "alice", azp: "agent", exp }, now)).toBeNull();
    expect(callerProblem({ exp }, now)).toBeNull();
    expect(callerProblem({ sub: "\ud800", exp }, now)).toContain("sub claim is not well-formed Unicode");
    expect(callerProblem({ sub: "alice", client_id: "a\u0000", exp }, now)).toContain("client_id claim contains the character U+0000");
    expect(callerProblem({ sub: "alice", azp: "\udc00x", exp }, now)).toContain("azp");
  });
  it("refuses time claims no real token carries: an infinite or missing exp, an iat in the future", () => {
    expect(callerProblem({ sub: "alice", exp: JSON.parse("1e309") }, now)).toContain("no finite expiry");
    expect(callerProblem({ sub: "alice" }, now)).toContain("no finite expiry");
    expect(callerProblem({ sub: "alice", exp, iat: 253402300800 }, now)).toContain("issued in the future");
    expect(callerProblem({ sub: "alice", exp, iat: now + 10 }, now)).toBeNull();
    expect(callerProblem({ sub: "alice", exp: 2 ** 53 + 1, iat: -62167219200 }, now)).toBeNull();
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
