import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, parseRetryAfter } from "../src/backoff";
import { WardenClient } from "../src/client";

const silent = { info() {}, warn() {}, error() {} };
const pinned = { keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k" }] };

/** A scripted upstream: each poll takes the next answer; records when each poll happened. */
function scripted(answers: (() => Response | Promise<Response>)[]) {
  const times: number[] = [];
  const fetchStub = vi.fn(async () => {
    times.push(Date.now());
    const next = answers.shift();
    if (!next) return new Response(null, { status: 304 });
    return next();
  });
  return { fetch: fetchStub as unknown as typeof fetch, times };
}

describe("poll scheduling", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("jitters the first poll and the steady interval", async () => {
    const upstream = scripted([]);
    const client = new WardenClient({ url: "http://warden.invalid", apiKey: "k", jwks: pinned, logger: silent, fetch: upstream.fetch, random: () => 0.25, firstPollMaxDelayMs: 4_000, pollIntervalMs: [10_000, 20_000] });
    await client.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(upstream.times).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(upstream.times).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(12_500);
    expect(upstream.times).toHaveLength(2);
    expect(upstream.times[1]! - upstream.times[0]!).toBe(12_500);
    client.close();
  });

  it("backs off exponentially with jitter on network errors, 408, 429 and 5xx, honouring Retry-After", async () => {
    const upstream = scripted([
      () => Promise.reject(new TypeError("fetch failed")),
      () => new Response("busy", { status: 503 }),
      () => new Response("slow down", { status: 429, headers: { "retry-after": "30" } }),
      () => new Response("timeout", { status: 408 }),
      () => new Response(null, { status: 304 }),
    ]);
    const client = new WardenClient({
      url: "http://warden.invalid",
      apiKey: "k",
      jwks: pinned,
      logger: silent,
      fetch: upstream.fetch,
      random: () => 0,
      firstPollMaxDelayMs: 0,
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      pollIntervalMs: [10_000, 10_000],
    });
    await client.start();
    await vi.advanceTimersByTimeAsync(100_000);
    const gaps = upstream.times.slice(1).map((time, index) => time - upstream.times[index]!);
    // random() = 0 keeps half of 1 s, 2 s, then Retry-After's 30 s beats 2 s, then 4 s; success returns to the steady 10 s.
    expect(gaps.slice(0, 5)).toEqual([500, 1_000, 30_000, 4_000, 10_000]);
    client.close();
  });

  it("retries slowly and loudly while the API key is refused", async () => {
    const errors: string[] = [];
    const upstream = scripted([() => new Response(JSON.stringify({ error: "This API key was revoked." }), { status: 401 }), () => new Response(null, { status: 403 })]);
    const client = new WardenClient({
      url: "http://warden.invalid",
      apiKey: "k",
      jwks: pinned,
      logger: { ...silent, error: (message) => errors.push(message) },
      fetch: upstream.fetch,
      firstPollMaxDelayMs: 0,
      authFailureRetryMs: 120_000,
    });
    await client.start();
    await vi.advanceTimersByTimeAsync(200_000);
    expect(upstream.times.slice(0, 2)).toEqual([1_000_000, 1_120_000]);
    expect(errors[0]).toMatch(/HTTP 401\): This API key was revoked\..*every call is denied/);
    client.close();
  });
});

describe("backoff arithmetic", () => {
  it("caps the delay and keeps at least half of it", () => {
    expect(backoffDelay(0, { baseMs: 1_000, maxMs: 8_000 }, () => 1)).toBe(1_000);
    expect(backoffDelay(10, { baseMs: 1_000, maxMs: 8_000 }, () => 0)).toBe(4_000);
    expect(backoffDelay(10, { baseMs: 1_000, maxMs: 8_000 }, () => 1)).toBe(8_000);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7_000);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe("a config body that fails after its headers", () => {
  it("is a retry, and polling goes on: the failure never reaches the MCP server's process", async () => {
    const { createServer } = await import("node:http");
    let requests = 0;
    // A real server that starts a 200 and drops the connection halfway through the body, then answers 304.
    const server = createServer((_req, res) => {
      requests++;
      if (requests > 1) return void res.writeHead(304).end();
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"schemaVersion":1,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as import("node:net").AddressInfo;
    const client = new WardenClient({
      url: `http://127.0.0.1:${port}`,
      apiKey: "k",
      jwks: pinned,
      logger: silent,
      firstPollMaxDelayMs: 0,
      backoff: { baseMs: 20, maxMs: 40 },
      pollIntervalMs: [20, 40],
    });
    try {
      expect(await client.pollNow()).toMatchObject({ kind: "retry", retryAfterMs: null });
      await client.start();
      await vi.waitFor(() => expect(requests).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
