import { createHash } from "node:crypto";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestGate, crossSiteRefusal, isProxyHeader, isServerActionRequest, serverActionBodyRefusal } from "./request-gate";
import { SERVER_ACTION_BODY_LIMIT_BYTES } from "./server-action-limits";

const PUBLIC_URL = "http://warden.test:3000";
const ORIGIN = "http://warden.test:3000";
const LIMIT = 64 * 1024;

type Seen = { headers: IncomingHttpHeaders; bodySha256: string; bodyLength: number };
type Answer = { status: number; contentType: string; text: string };

/**
 * A real node:http server with the gate in front of a handler standing in for
 * Next: it reads the body the way Next's action handler does (a stream
 * pipeline) and answers with what it saw.
 */
async function startGatedServer(trustProxy: boolean): Promise<{ server: Server; url: string }> {
  const admit = createRequestGate({ publicUrl: PUBLIC_URL, trustProxy, actionBodyLimitBytes: LIMIT });
  const server = createServer(async (req, res) => {
    const admitted = await admit(req, res);
    if (!admitted) return;
    const hash = createHash("sha256");
    let length = 0;
    const sink = new PassThrough();
    sink.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    await pipeline(admitted, sink);
    const seen: Seen = { headers: admitted.headers, bodySha256: hash.digest("hex"), bodyLength: length };
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(seen));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Sends a request with node:http, the body as given chunks (chunked encoding when no length is set). */
function send(base: string, options: { method?: string; path?: string; headers?: Record<string, string>; chunks?: Buffer[] }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${options.path ?? "/dev/servers"}`, { method: options.method ?? "POST", headers: options.headers ?? {}, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    const chunks = options.chunks ?? [];
    const writeNext = (index: number) => {
      if (index >= chunks.length) return req.end();
      if (req.write(chunks[index]!)) writeNext(index + 1);
      else req.once("drain", () => writeNext(index + 1));
    };
    writeNext(0);
  });
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const action = (body: string | Buffer, headers: Record<string, string> = {}) => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { headers: { origin: ORIGIN, "next-action": "7f00", "content-type": "text/plain;charset=UTF-8", "content-length": String(bytes.length), ...headers }, chunks: [bytes] };
};

function multipartBody(boundary: string, parts: { name: string; value: string | Buffer; filename?: string }[]): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ""}`;
    const type = part.filename ? "Content-Type: application/octet-stream\r\n" : "";
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(part.value), Buffer.from("\r\n"));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

let untrusted: { server: Server; url: string };
let trusted: { server: Server; url: string };

beforeAll(async () => {
  untrusted = await startGatedServer(false);
  trusted = await startGatedServer(true);
});

afterAll(async () => {
  for (const { server } of [untrusted, trusted]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("rule: X-Forwarded-*, Forwarded and X-Real-IP are stripped unless the proxy is trusted", () => {
  const forged = { "x-forwarded-host": "evil.example", "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", forwarded: "for=203.0.113.9", "x-real-ip": "203.0.113.9" };

  it("drops every proxy header a client sends directly", async () => {
    const answer = await send(untrusted.url, { method: "GET", headers: forged });
    const seen = JSON.parse(answer.text) as Seen;
    for (const name of Object.keys(forged)) expect(seen.headers[name]).toBeUndefined();
  });

  it("keeps them behind a trusted proxy", async () => {
    const answer = await send(trusted.url, { method: "GET", headers: forged });
    expect(JSON.parse(answer.text)).toMatchObject({ headers: forged });
  });

  it("recognises the header names in any case", () => {
    for (const name of ["X-Forwarded-Host", "x-forwarded-prefix", "Forwarded", "X-Real-IP"]) expect(isProxyHeader(name)).toBe(true);
    for (const name of ["x-warden-client-ip", "origin", "x-forwardedhost"]) expect(isProxyHeader(name)).toBe(false);
  });
});

describe("rule: a mutating request needs a same-origin Origin or Sec-Fetch-Site: same-origin (403 otherwise)", () => {
  it("refuses a POST without Origin or Sec-Fetch-Site", async () => {
    const answer = await send(untrusted.url, { headers: { "next-action": "7f00", "content-type": "text/plain" }, chunks: [Buffer.from("[]")] });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain(`needs an Origin header of ${ORIGIN}`);
  });

  it("refuses a foreign Origin, even with a forged X-Forwarded-Host that matches it, trusted proxy or not", async () => {
    for (const base of [untrusted.url, trusted.url]) {
      const answer = await send(base, { headers: { origin: "https://evil.example", "x-forwarded-host": "evil.example", host: "evil.example", "next-action": "7f00", "content-type": "text/plain" }, chunks: [Buffer.from("[]")] });
      expect(answer.status).toBe(403);
      expect(answer.text).toContain("comes from another site");
    }
  });

  it("refuses every method that can change something: PUT, PATCH, DELETE and POST", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      expect((await send(untrusted.url, { method, headers: { origin: "https://evil.example" } })).status, method).toBe(403);
      expect((await send(untrusted.url, { method, headers: { origin: ORIGIN } })).status, method).toBe(200);
    }
  });

  it("refuses Origin: null, a different port and a different scheme", async () => {
    for (const origin of ["null", "http://warden.test:3001", "https://warden.test:3000", `${ORIGIN}/`]) {
      expect((await send(untrusted.url, { headers: { origin } })).status, origin).toBe(403);
    }
  });

  it("accepts Sec-Fetch-Site: same-origin without an Origin, and nothing else in its place", async () => {
    expect((await send(untrusted.url, { headers: { "sec-fetch-site": "same-origin" } })).status).toBe(200);
    for (const site of ["same-site", "cross-site", "none"]) expect((await send(untrusted.url, { headers: { "sec-fetch-site": site } })).status, site).toBe(403);
    // An Origin, when present, decides: a same-origin claim does not rescue a foreign one.
    expect((await send(untrusted.url, { headers: { origin: "https://evil.example", "sec-fetch-site": "same-origin" } })).status).toBe(403);
  });

  it("lets reads through without an Origin", async () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect((await send(untrusted.url, { method })).status, method).toBe(200);
  });

  it("answers JSON under /api/ and plain text elsewhere", async () => {
    const api = await send(untrusted.url, { path: "/api/v1/decisions", headers: { "content-type": "application/json" } });
    expect(api.status).toBe(403);
    expect(api.contentType).toContain("application/json");
    expect(JSON.parse(api.text)).toEqual({ error: expect.stringContaining("needs an Origin header") });
    expect((await send(untrusted.url, {})).contentType).toContain("text/plain");
  });

  it("takes the public origin from its settings, never from the request", () => {
    expect(crossSiteRefusal("POST", { origin: "http://evil.example", host: "evil.example", "x-forwarded-host": "evil.example" }, ORIGIN)).toMatchObject({ status: 403 });
    expect(crossSiteRefusal("POST", { origin: ORIGIN, host: "evil.example" }, ORIGIN)).toBeNull();
  });
});

describe("rule: server-action bodies Next cannot read get a 4xx before they reach it", () => {
  it("knows which requests are server actions", () => {
    expect(isServerActionRequest("POST", "/dev", { "next-action": "7f00" })).toBe(true);
    expect(isServerActionRequest("POST", "/dev", { "content-type": "multipart/form-data; boundary=x" })).toBe(true);
    expect(isServerActionRequest("POST", "/api/policy/dev", { "content-type": "multipart/form-data; boundary=x" })).toBe(false);
    expect(isServerActionRequest("GET", "/dev", { "next-action": "7f00" })).toBe(false);
    expect(isServerActionRequest("POST", "/api/auth/signout", { "content-type": "application/x-www-form-urlencoded" })).toBe(false);
  });

  it("shares its size limit with next.config.ts: 3 MB", () => {
    expect(SERVER_ACTION_BODY_LIMIT_BYTES).toBe(3 * 1024 * 1024);
  });

  it("413: a declared Content-Length over the limit, answered before the body is read", async () => {
    const answer = await send(untrusted.url, action(Buffer.alloc(LIMIT + 1, 0x20)));
    expect(answer).toMatchObject({ status: 413, text: "The request body is larger than 64 KB." });
  });

  it("413: a chunked body counted as it streams in, answered before the connection closes", async () => {
    const chunk = Buffer.alloc(8 * 1024, 0x20);
    const answer = await send(untrusted.url, { headers: { origin: ORIGIN, "next-action": "7f00", "content-type": "text/plain" }, chunks: Array.from({ length: 40 }, () => chunk) });
    expect(answer.status).toBe(413);
  });

  it("413: a client still uploading when the answer comes (chunked or with a length) can finish without its connection being reset", async () => {
    // Resetting the connection mid-upload can destroy the answer before the client reads it.
    const upload = (length: Record<string, string>) => new Promise<{ status: number; uploadError: string | null }>((resolve) => {
      let status = 0;
      let uploadError: string | null = null;
      const req = request(`${untrusted.url}/dev`, { method: "POST", headers: { origin: ORIGIN, "next-action": "7f00", "content-type": "text/plain", ...length }, agent: false }, (res) => {
        status = res.statusCode!;
        res.resume();
      });
      req.on("error", (error) => (uploadError = error.message));
      req.on("close", () => resolve({ status, uploadError }));
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(await upload({})).toEqual({ status: 413, uploadError: null });
    expect(await upload({ "content-length": String(4 * 1024 * 1024) })).toEqual({ status: 413, uploadError: null });
  });

  it("400: empty, whitespace, not UTF-8, not JSON, a byte-order mark", async () => {
    const cases: [Buffer | string, string][] = [
      ["", "The body is empty; send the action's arguments as JSON."],
      [" \n", "The body is empty; send the action's arguments as JSON."],
      [Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), "The body is not valid UTF-8."],
      ["[{nope", "The body is not valid JSON."],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("[]")]), "The body is not valid JSON."],
    ];
    for (const [body, error] of cases) {
      const answer = await send(untrusted.url, action(body));
      expect({ status: answer.status, text: answer.text }, JSON.stringify(body.toString())).toEqual({ status: 400, text: error });
    }
  });

  it("400: JSON nested deeper than the shared limit, even 10,000 deep", async () => {
    for (const depth of [33, 10_000]) {
      const answer = await send(untrusted.url, action("[".repeat(depth) + "]".repeat(depth)));
      expect(answer).toMatchObject({ status: 400, text: "The JSON is nested deeper than 32 levels." });
    }
    expect((await send(untrusted.url, action("[".repeat(32) + "]".repeat(32)))).status).toBe(200);
  });

  it("400: strings the shared input rules refuse (U+0000, a lone surrogate)", async () => {
    expect(await send(untrusted.url, action('["a\\u0000b"]'))).toMatchObject({ status: 400, text: expect.stringContaining("U+0000") });
    expect(await send(untrusted.url, action('[{"name":"\\ud800"}]'))).toMatchObject({ status: 400, text: expect.stringContaining("lone UTF-16 surrogate") });
  });

  it("415: another media type, or a compressed body", async () => {
    expect((await send(untrusted.url, action("a=1", { "content-type": "application/x-www-form-urlencoded" }))).status).toBe(415);
    expect((await send(untrusted.url, action("[]", { "content-type": "application/octet-stream" }))).status).toBe(415);
    const noType = action("[]");
    delete (noType.headers as Record<string, string>)["content-type"];
    expect((await send(untrusted.url, noType)).status).toBe(415);
    expect((await send(untrusted.url, action("[]", { "content-encoding": "gzip" }))).status).toBe(415);
  });

  it("400: malformed multipart/form-data", async () => {
    const boundary = "----gate";
    const valid = multipartBody(boundary, [{ name: "0", value: '["$K1"]' }]);
    const malformed = [Buffer.from(""), Buffer.from("not multipart at all"), valid.subarray(0, valid.length - 12)];
    for (const body of malformed) {
      const answer = await send(untrusted.url, action(body, { "content-type": `multipart/form-data; boundary=${boundary}` }));
      expect(answer).toMatchObject({ status: 400, text: "The body is not well-formed multipart/form-data." });
    }
    const noBoundary = await send(untrusted.url, action(valid, { "content-type": "multipart/form-data" }));
    expect(noBoundary.status).toBe(400);
    const nul = multipartBody(boundary, [{ name: "0", value: '["a\\u0000"]' }, { name: "1_note", value: "x\u0000y" }]);
    expect(await send(untrusted.url, action(nul, { "content-type": `multipart/form-data; boundary=${boundary}` }))).toMatchObject({ status: 400, text: expect.stringContaining("U+0000") });
  });

  it("checks a multipart action's arguments like a text one", async () => {
    const headers = { "next-action": "7f00", "content-type": "multipart/form-data; boundary=----gate" };
    const body = (parts: Parameters<typeof multipartBody>[1]) => multipartBody("----gate", parts);
    expect(await serverActionBodyRefusal(headers, body([{ name: "0", value: "[".repeat(40) }]))).toMatchObject({ status: 400, error: "The JSON is nested deeper than 32 levels." });
    expect(await serverActionBodyRefusal(headers, body([{ name: "0", value: '["$Q1"]' }]))).toMatchObject({ status: 400 });
    expect(await serverActionBodyRefusal(headers, body([{ name: "0", value: '["ok","$B1"]' }, { name: "1", value: Buffer.from("png"), filename: "a.png" }]))).toBeNull();
  });

  it("400: a form posted without JavaScript that names an action ($ACTION_ fields)", async () => {
    const form = multipartBody("----gate", [{ name: "$ACTION_REF_1", value: "" }, { name: "$ACTION_1:0", value: '{"id":"bogus","bound":null}' }]);
    const answer = await send(untrusted.url, { headers: { origin: ORIGIN, "content-type": "multipart/form-data; boundary=----gate" }, chunks: [form] });
    expect(answer).toMatchObject({ status: 400, text: "Warden's forms are sent with JavaScript; this form post is not accepted." });
    // An ordinary multipart post to a page is left to Next.
    const plain = multipartBody("----gate", [{ name: "note", value: "hello" }]);
    expect((await send(untrusted.url, { headers: { origin: ORIGIN, "content-type": "multipart/form-data; boundary=----gate" }, chunks: [plain] })).status).toBe(200);
  });

  it("400: arguments React cannot decode (not a list, a reference to a part never sent)", async () => {
    expect(await send(untrusted.url, action('{"a":1}'))).toMatchObject({ status: 400, text: "The action's arguments must be a JSON array." });
    expect(await send(untrusted.url, action('["$1"]'))).toMatchObject({ status: 400, text: "The arguments refer to a part 1 that was not sent." });
  });
});

describe("rule: any other body is read within the same limit before Next, which would wait for its end", () => {
  const json = { origin: ORIGIN, "content-type": "application/json" };
  it("413 (JSON) for a chunked route-handler body that never ends, as soon as it passes the limit", async () => {
    const { hostname, port } = new URL(untrusted.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname);
      let text = "";
      const pump = setInterval(() => socket.writable && socket.write(`2000\r\n${" ".repeat(0x2000)}\r\n`), 1);
      const done = (result: string) => {
        clearInterval(pump);
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done(text || "no answer within 5 s"), 5_000);
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\n")) setTimeout(() => done(text), 50);
      });
      socket.write(`POST /api/v1/decisions/impact HTTP/1.1\r\nHost: warden.test\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('{"error":"The request body is larger than 64 KB."}');
  });

  it("413 for a declared length over the limit; a body within it reaches the handler byte for byte", async () => {
    expect((await send(untrusted.url, { path: "/api/v1/decisions", headers: { ...json, "content-length": String(LIMIT + 1) }, chunks: [Buffer.alloc(LIMIT + 1, 0x20)] })).status).toBe(413);
    const body = Buffer.from(JSON.stringify({ environment: "prod", pad: "é".repeat(20_000) }));
    const answer = await send(untrusted.url, { path: "/api/v1/decisions/impact", headers: json, chunks: [body.subarray(0, 1000), body.subarray(1000)] });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ bodySha256: sha256(body), bodyLength: body.length });
  });
});

describe("a checked server action reaches the handler with its body unchanged", () => {
  it("replays a text body byte for byte", async () => {
    const body = Buffer.from(JSON.stringify([{ name: "scope ✓ 🔑", nested: { list: [1, 2, 3] } }]));
    const answer = await send(untrusted.url, action(body));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ bodySha256: sha256(body), bodyLength: body.length });
  });

  it("replays a multipart body with a binary file byte for byte", async () => {
    const file = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 256));
    const body = multipartBody("----gate", [{ name: "0", value: '["$K1"]' }, { name: "1_logo", value: file, filename: "logo.png" }]);
    const answer = await send(untrusted.url, action(body, { "content-type": "multipart/form-data; boundary=----gate" }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ bodySha256: sha256(body), bodyLength: body.length });
  });

  it("replays a chunked body just under the limit, read across many socket reads", async () => {
    const text = JSON.stringify(["x".repeat(LIMIT - 10)]);
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
    const answer = await send(untrusted.url, { headers: { origin: ORIGIN, "next-action": "7f00", "content-type": "text/plain" }, chunks });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ bodySha256: sha256(bytes), bodyLength: bytes.length });
  });

  it("keeps a kept-alive connection usable after a replayed action and after a refused upload", async () => {
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sendOn = (headers: Record<string, string>, body: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${untrusted.url}/dev`, { method: "POST", headers, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode!));
        });
        req.on("error", reject);
        req.end(body);
      });
    const headers = { origin: ORIGIN, "next-action": "7f00", "content-type": "text/plain" };
    expect(await sendOn(headers, Buffer.from("[1]"))).toBe(200);
    expect(await sendOn(headers, Buffer.alloc(LIMIT * 2, 0x20))).toBe(413);
    expect(await sendOn(headers, Buffer.from("[2]"))).toBe(200);
    agent.destroy();
  });
});
