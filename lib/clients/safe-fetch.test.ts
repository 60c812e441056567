import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "@/lib/input/rules";
import { FetchRefusal, parseFetchableUrl, safeFetch, type SafeFetchOptions } from "./safe-fetch";
import { startHttpsFixture, TEST_CA } from "./testing/fixture-server";

const refusal = (code: string) => expect.objectContaining({ name: "FetchRefusal", code });

describe("which URLs may be fetched", () => {
  const rule = (url: string) => {
    try {
      parseFetchableUrl(url);
      return "ok";
    } catch (error) {
      return (error as FetchRefusal).code;
    }
  };

  it.each([
    ["not a url", "url_invalid"],
    ["http://agent.example.com/client.json", "url_not_https"],
    ["https://agent.example.com", "url_no_path"],
    ["https://agent.example.com/", "url_no_path"],
    ["https://agent.example.com/client.json#frag", "url_fragment"],
    ["https://agent.example.com/client.json#", "url_fragment"],
    ["https://user:pw@agent.example.com/client.json", "url_credentials"],
    ["https://user@agent.example.com/client.json", "url_credentials"],
    ["https://agent.example.com/a/../client.json", "url_dot_segments"],
    ["https://agent.example.com/./client.json", "url_dot_segments"],
    ["https://agent.example.com/a/%2e%2e/client.json", "url_dot_segments"],
    ["https://agent.example.com/oauth/client.json", "ok"],
    ["https://agent.example.com/oauth/client.json?v=2", "ok"],
  ])("%s → %s", (url, expected) => {
    expect(rule(url)).toBe(expected);
  });
});

describe("which addresses may be connected to", () => {
  it.each([
    ["https://127.0.0.1/client.json", "127.0.0.1"],
    ["https://2130706433/client.json", "127.0.0.1"],
    ["https://0177.0.0.1/client.json", "127.0.0.1"],
    ["https://0x7f.0.0.1/client.json", "127.0.0.1"],
    ["https://0x7f000001/client.json", "127.0.0.1"],
    ["https://127.1/client.json", "127.0.0.1"],
    ["https://[::1]/client.json", "::1"],
    ["https://[::ffff:127.0.0.1]/client.json", "::ffff:7f00:1"],
    ["https://[::ffff:169.254.169.254]/client.json", "::ffff:a9fe:a9fe"],
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254"],
    ["https://[::127.0.0.1]/client.json", "127.0.0.1"],
    ["https://[64:ff9b::a9fe:a9fe]/client.json", "169.254.169.254"],
    ["https://[2002:7f00:0001::]/client.json", "127.0.0.1"],
    ["https://[fe80::1]/client.json", "fe80::1"],
  ])("refuses %s, whatever the notation, before connecting", async (url, shown) => {
    await expect(safeFetch(url, { accept: "json" })).rejects.toEqual(refusal("address_forbidden"));
    await expect(safeFetch(url, { accept: "json" })).rejects.toThrow(shown);
  });

  it("refuses a URL whose host is a special-use IP literal as a URL rule, with the reason", () => {
    expect(() => parseFetchableUrl("https://[::ffff:10.0.0.1]/client.json")).toThrow(
      "::ffff:a00:1 is a special-use address (private, the IPv4-mapped form of 10.0.0.1); Warden connects only to globally reachable addresses.",
    );
    expect(() => parseFetchableUrl("https://10.1.2.3/client.json")).toThrow(expect.objectContaining({ code: "address_forbidden" }));
    expect(parseFetchableUrl("https://93.184.215.14/client.json").hostname).toBe("93.184.215.14");
  });

  it.each([
    ["::127.0.0.1", "loopback, the IPv4-compatible form of 127.0.0.1"],
    ["::ffff:10.0.0.1", "private, the IPv4-mapped form of 10.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "link-local, the NAT64 form of 169.254.169.254"],
    ["64:ff9b:1::a00:1", "private, the local-use NAT64 form of 10.0.0.1"],
    ["2002:7f00:1::", "loopback, the 6to4 form of 127.0.0.1"],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback, the Teredo form of 127.0.0.1"],
    ["fe80::1", "link-local"],
  ])("refuses a name whose DNS answer is %s, the address it would connect to", async (answer, reason) => {
    const attempt = safeFetch("https://agent.example/client.json", { accept: "json", resolve: async () => [answer] });
    await expect(attempt).rejects.toEqual(refusal("address_forbidden"));
    await expect(safeFetch("https://agent.example/client.json", { accept: "json", resolve: async () => [answer] })).rejects.toThrow(
      `agent.example resolves to ${answer} (${reason}), a special-use address Warden never connects to.`,
    );
  });

  it("refuses a name when any of its addresses is special-use", async () => {
    const resolve = async () => ["93.184.215.14", "10.0.0.8"];
    await expect(safeFetch("https://mixed.example/client.json", { accept: "json", resolve })).rejects.toEqual(refusal("address_forbidden"));
    await expect(safeFetch("https://internal.example/client.json", { accept: "json", resolve: async () => ["192.168.0.2"] })).rejects.toThrow(
      "internal.example resolves to 192.168.0.2 (private), a special-use address Warden never connects to.",
    );
  });

  it("says when a name does not resolve", async () => {
    const resolve = async (): Promise<string[]> => {
      throw new Error("ENOTFOUND");
    };
    await expect(safeFetch("https://nowhere.invalid/client.json", { accept: "json", resolve })).rejects.toEqual(refusal("dns_failed"));
  });
});

describe("fetching from an HTTPS server", () => {
  let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
  const testing: SafeFetchOptions["testing"] = { allowLoopback: true, ca: TEST_CA };
  // A real client metadata document, byte for byte as its client publishes it.
  const vscode = readFileSync(new URL("./testing/cimd/vscode.json", import.meta.url), "utf8");

  beforeAll(async () => {
    fixture = await startHttpsFixture({
      "/oauth/client-metadata.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(vscode),
      "/moved.json": (_req, res) => res.writeHead(302, { Location: "https://elsewhere.example/client.json" }).end(),
      "/missing.json": (_req, res) => res.writeHead(404).end(),
      "/html.json": (_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<html></html>"),
      "/broken.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end("{not json"),
      // Well under the 5 KB cap, but nested past what anything should walk.
      "/deep.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(`{"client_id":${"[".repeat(2_400)}${"]".repeat(2_400)}}`),
      "/just-deep-enough.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(`{"a":${"[".repeat(MAX_JSON_DEPTH - 1)}${"]".repeat(MAX_JSON_DEPTH - 1)}}`),
      "/nul.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end('{"client_name":"Agent\\u0000"}'),
      "/huge.json": (_req, res) => {
        // No Content-Length: the cap must hold while streaming.
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write(`{"padding":"${"x".repeat(4000)}`);
        res.end(`${"y".repeat(4000)}"}`);
      },
      "/slow.json": (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write('{"a":');
        // Never finishes in time.
        setTimeout(() => res.end("1}"), 2_000);
      },
    });
  });
  afterAll(() => fixture?.close());

  it("returns the parsed document and the address it connected to", async () => {
    const result = await safeFetch(`${fixture.origin}/oauth/client-metadata.json`, { accept: "json", testing });
    expect(result.json).toMatchObject({ client_id: "https://vscode.dev/oauth/client-metadata.json" });
    expect(result.address).toBe("127.0.0.1");
  });

  it("does not follow redirects, and names where it was sent", async () => {
    await expect(safeFetch(`${fixture.origin}/moved.json`, { accept: "json", testing })).rejects.toThrow(
      /302 redirecting to https:\/\/elsewhere\.example\/client\.json/,
    );
  });

  it("accepts only 200", async () => {
    await expect(safeFetch(`${fixture.origin}/missing.json`, { accept: "json", testing })).rejects.toEqual(refusal("bad_status"));
  });

  it("accepts only JSON, and only valid JSON", async () => {
    await expect(safeFetch(`${fixture.origin}/html.json`, { accept: "json", testing })).rejects.toEqual(refusal("wrong_content_type"));
    await expect(safeFetch(`${fixture.origin}/broken.json`, { accept: "json", testing })).rejects.toEqual(refusal("not_json"));
  });

  it(`refuses a document nested deeper than ${MAX_JSON_DEPTH} levels (the JSON depth rule), and takes one exactly that deep`, async () => {
    await expect(safeFetch(`${fixture.origin}/deep.json`, { accept: "json", testing })).rejects.toEqual(refusal("json_too_deep"));
    await expect(safeFetch(`${fixture.origin}/deep.json`, { accept: "json", testing })).rejects.toThrow(`The JSON is nested deeper than ${MAX_JSON_DEPTH} levels.`);
    expect((await safeFetch(`${fixture.origin}/just-deep-enough.json`, { accept: "json", testing })).json).toHaveProperty("a");
  });

  it("refuses a document with text PostgreSQL cannot store (the shared text rule)", async () => {
    await expect(safeFetch(`${fixture.origin}/nul.json`, { accept: "json", testing })).rejects.toThrow(/client_name contains the character U\+0000/);
  });

  it("stops reading past 5 KB", async () => {
    await expect(safeFetch(`${fixture.origin}/huge.json`, { accept: "json", testing })).rejects.toEqual(refusal("too_large"));
  });

  it("gives up when the whole request takes too long", async () => {
    await expect(safeFetch(`${fixture.origin}/slow.json`, { accept: "json", testing, timeoutMs: 300 })).rejects.toEqual(refusal("timeout"));
  });

  it("verifies the certificate: a server the trusted CA did not sign is refused", async () => {
    const otherCa = readFileSync(new URL("./testing/localhost.pem", import.meta.url));
    await expect(safeFetch(`${fixture.origin}/oauth/client-metadata.json`, { accept: "json", testing: { allowLoopback: true, ca: otherCa } })).rejects.toEqual(
      refusal("tls"),
    );
  });

  it("resolves once and connects to the address it checked (no DNS rebinding)", async () => {
    let calls = 0;
    // A rebinding resolver: loopback (allowed in this test) first, then an internal address.
    const resolve = async () => (++calls === 1 ? ["127.0.0.1"] : ["10.0.0.9"]);
    const result = await safeFetch(`${fixture.origin}/oauth/client-metadata.json`, { accept: "json", testing, resolve });
    expect(calls).toBe(1);
    expect(result.address).toBe("127.0.0.1");
  });

  it("refuses loopback fixtures without the explicit test setting", async () => {
    await expect(safeFetch(`${fixture.origin}/oauth/client-metadata.json`, { accept: "json" })).rejects.toEqual(refusal("address_forbidden"));
  });
});
