import { afterEach, expect, it } from "vitest";
import { AuditReporter } from "../src/audit";
import { closeAuditReceivers, startAuditReceiver as receiver } from "./audit-receiver";

const silent = { info() {}, warn() {}, error() {} };

const reporters: AuditReporter[] = [];
afterEach(async () => {
  for (const reporter of reporters.splice(0)) await reporter.close().catch(() => undefined);
  await closeAuditReceivers();
});

function reporter(options: ConstructorParameters<typeof AuditReporter>[0]) {
  const instance = new AuditReporter({ logger: silent, ...options });
  reporters.push(instance);
  return instance;
}

const event = (n: number) => ({ actor: `user-${n}`, clientId: "https://agent.example/client.json", server: "sales-mcp", tool: "get_invoice", action: "tool.call", decision: "allow" as const, reason: "allowed_by_grant", configVersion: 3 });

it("sends gzip batches with an Idempotency-Key when the batch size is reached, with UUIDv7 ids", async () => {
  const warden = await receiver();
  const audit = reporter({ url: warden.url, apiKey: "wdn_prod_x_y", batchSize: 3, flushIntervalMs: 60_000 });
  for (let n = 0; n < 7; n++) audit.record(event(n));
  // Reaching the batch size starts a drain, which sends full batches; the rest waits for the interval (or a flush).
  await expect.poll(() => warden.stored.size).toBe(6);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(warden.requests.map((request) => request.events.length)).toEqual([3, 3]);
  await audit.flush();
  expect(warden.stored.size).toBe(7);
  expect(warden.requests.map((request) => request.events.length)).toEqual([3, 3, 1]);
  expect(warden.requests[0]).toMatchObject({ encoding: "gzip", authorization: "Bearer wdn_prod_x_y", idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect(warden.requests[0]!.idempotencyKey).not.toBe(warden.requests[1]!.idempotencyKey);
  const first = warden.requests[0]!.events[0]!;
  expect(first).toMatchObject({ source: "mcp", actor: "user-0", decision: "allow", configVersion: 3 });
  expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  await audit.close();
  expect(audit.stats()).toMatchObject({ queued: 0, sent: 7, dropped: { total: 0 } });
});

it("gives events ids in the order they were recorded, all distinct", () => {
  const audit = reporter({ url: "http://127.0.0.1:9", apiKey: "k", batchSize: 1000, flushIntervalMs: 60_000 });
  const ids = Array.from({ length: 2_000 }, (_, n) => audit.record(event(n)).id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(ids);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

it("records a decision's inputs redacted, whether they are shared (frozen) or not, and as they are at the time", () => {
  const audit = reporter({ url: "http://127.0.0.1:9", apiKey: "k", batchSize: 1000, flushIntervalMs: 60_000 });
  const decision = { decision: "allow" as const, reason: "allowed_by_grant" as const, message: "ok", matchedRoles: ["analyst"], effectiveScopes: [], requiresApproval: false, configVersion: 3 };
  const inputs = { scopes: ["tools:read"], roles: [], claims: { groups: ["sales"], session_token: "abc" } };
  const shared = Object.freeze({ ...decision, inputs: Object.freeze({ scopes: Object.freeze(["tools:read"]), roles: Object.freeze([]), claims: Object.freeze({ groups: Object.freeze(["sales"]), session_token: "abc" }) }) });
  const call = { subject: "alice", tool: "get_invoice" };
  for (let n = 0; n < 2; n++) {
    expect(audit.recordDecision({ ...call, decision: shared as never }).inputs).toEqual({ scopes: ["tools:read"], roles: [], claims: { groups: ["sales"], session_token: "[redacted]" } });
  }
  expect(audit.recordDecision({ ...call, decision: { ...decision, inputs } }).inputs).toEqual({ scopes: ["tools:read"], roles: [], claims: { groups: ["sales"], session_token: "[redacted]" } });
  inputs.claims.groups.push("finance");
  expect(audit.recordDecision({ ...call, decision: { ...decision, inputs } }).inputs).toMatchObject({ claims: { groups: ["sales", "finance"] } });
});

it("flushes on the interval when fewer events than a batch wait", async () => {
  const warden = await receiver();
  const audit = reporter({ url: warden.url, apiKey: "k", batchSize: 100, flushIntervalMs: 50 });
  audit.record(event(1));
  await expect.poll(() => warden.stored.size, { timeout: 2_000 }).toBe(1);
});

it("retries a failed batch with backoff and Retry-After, under the same Idempotency-Key, so nothing is stored twice", async () => {
  // The first attempt is stored but its answer is lost (502); the second is throttled (429, Retry-After 1 s).
  const warden = await receiver((request) => (request === 2 ? { status: 429, headers: { "retry-after": "1" } } : null));
  let calls = 0;
  const lossy: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    return ++calls === 1 ? new Response("bad gateway", { status: 502 }) : response;
  };
  const audit = reporter({ url: warden.url, apiKey: "k", batchSize: 10, flushIntervalMs: 60_000, fetch: lossy, backoff: { baseMs: 20, maxMs: 100 } });
  for (let n = 0; n < 4; n++) audit.record(event(n));
  const started = Date.now();
  await audit.flush();
  await expect.poll(() => warden.requests.length, { timeout: 5_000 }).toBe(3);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  expect(new Set(warden.requests.map((request) => request.idempotencyKey)).size).toBe(1);
  expect(warden.stored.size).toBe(4);
  await expect.poll(() => audit.stats()).toMatchObject({ sent: 0, duplicates: 4, failedAttempts: 2, queued: 0, inFlight: 0 });
});

it("holds a bounded number of events while Warden is down, counting what it drops", async () => {
  const errors: string[] = [];
  const audit = reporter({ url: "http://127.0.0.1:9", apiKey: "k", capacity: 5, batchSize: 1_000, flushIntervalMs: 60_000, logger: { ...silent, error: (message) => errors.push(message) }, backoff: { baseMs: 60_000, maxMs: 60_000 } });
  for (let n = 0; n < 12; n++) audit.record(event(n));
  expect(audit.stats()).toMatchObject({ queued: 5, dropped: { overflow: 7, total: 7 } });
  await audit.flush();
  expect(audit.stats()).toMatchObject({ queued: 0, inFlight: 5, dropped: { overflow: 7, total: 7 }, failedAttempts: 1 });
  expect(errors.join("\n")).toMatch(/Dropped 7 audit event/);
});

it("drops an event the endpoint refuses outright (400) instead of retrying it forever", async () => {
  const warden = await receiver(() => ({ status: 400 }));
  const audit = reporter({ url: warden.url, apiKey: "k", batchSize: 10, flushIntervalMs: 60_000 });
  audit.record(event(1));
  await audit.flush();
  expect(audit.stats()).toMatchObject({ dropped: { rejected: 1, total: 1 }, inFlight: 0, queued: 0 });
  expect(warden.requests).toHaveLength(1);
});

it("sends a decision's inputs with its event, redacted, and leaves out inputs too large for Warden rather than the event", async () => {
  const warden = await receiver();
  const audit = reporter({ url: warden.url, apiKey: "k", batchSize: 100, flushIntervalMs: 50 });
  const decision = { decision: "allow" as const, reason: "allowed_by_grant" as const, message: "ok", matchedRoles: ["analyst"], effectiveScopes: ["s"], requiresApproval: false, configVersion: 3 };
  audit.recordDecision({ decision: { ...decision, inputs: { scopes: ["s"], roles: [], claims: { groups: ["g"], tag: "Bearer abc.def" } } }, subject: "u1", tool: "get_invoice" });
  audit.recordDecision({ decision: { ...decision, inputs: { scopes: [], roles: [], claims: { groups: Array.from({ length: 300 }, (_, i) => `g${i}`) } } }, subject: "u2", tool: "get_invoice" });
  await expect.poll(() => warden.stored.size, { timeout: 2_000 }).toBe(2);
  const events = warden.requests.flatMap((request) => request.events) as { actor: string; inputs?: unknown }[];
  expect(events.find((event) => event.actor === "u1")!.inputs).toEqual({ scopes: ["s"], roles: [], claims: { groups: ["g"], tag: "[redacted]" } });
  expect(events.find((event) => event.actor === "u2")).not.toHaveProperty("inputs");
});
