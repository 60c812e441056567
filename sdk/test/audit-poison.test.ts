import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuditReporter, type AuditEventInput } from "../src/audit";
import { closeAuditReceivers, startAuditReceiver, type ReceivedRequest } from "./audit-receiver";
import { startWardenFixture, type WardenFixture } from "./warden-fixture";

// Events Warden cannot store, whatever its version: before the input rules,
// each of them made PostgreSQL (or the JSON walk) fail its whole batch.
function nestedDeep(levels: number): Record<string, unknown> {
  let details: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < levels; level++) details = { inner: details };
  return details;
}
const unstorable: { why: string; event: AuditEventInput }[] = [
  { why: "U+0000", event: { actor: "user\u0000nul", action: "tool.call", decision: "allow" } },
  { why: "a lone surrogate in a details key", event: { actor: "user-surrogate", action: "tool.call", decision: "allow", details: { ["half\uD800"]: 1 } } },
  { why: "configVersion above 2³¹−1", event: { actor: "user-version", action: "tool.call", decision: "allow", configVersion: 2 ** 31 } },
  { why: "year 0", event: { actor: "user-year0", action: "tool.call", decision: "allow", ts: "0000-06-01T00:00:00.000Z" } },
  { why: "details nested 5,000 deep", event: { actor: "user-deep", action: "tool.call", decision: "allow", details: nestedDeep(5_000) } },
  { why: "a BigInt in details", event: { actor: "user-bigint", action: "tool.call", decision: "allow", details: { amount: 10n } } },
];

const good = (name: string): AuditEventInput => ({ actor: name, clientId: "https://agent.example/client.json", server: "sales-mcp", tool: "get_invoice", action: "tool.call", decision: "allow", reason: "allowed_by_grant", configVersion: 1 });

type LogLine = { level: "warn" | "error"; message: string; details?: Record<string, unknown> };
function recordingLogger() {
  const lines: LogLine[] = [];
  return {
    lines,
    errors: () => lines.filter((line) => line.level === "error"),
    logger: {
      info() {},
      warn: (message: string, details?: Record<string, unknown>) => lines.push({ level: "warn", message, details }),
      error: (message: string, details?: Record<string, unknown>) => lines.push({ level: "error", message, details }),
    },
  };
}

const reporters: AuditReporter[] = [];
function reporter(options: ConstructorParameters<typeof AuditReporter>[0]) {
  const instance = new AuditReporter({ logger: recordingLogger().logger, flushIntervalMs: 60_000, batchSize: 100, ...options });
  reporters.push(instance);
  return instance;
}
afterEach(async () => {
  for (const instance of reporters.splice(0)) await instance.close().catch(() => undefined);
  await closeAuditReceivers();
});

// Short waits between attempts keep each test quick; the attempts are bounded by count, not by time.
const quick = { backoff: { baseMs: 1, maxMs: 4 }, random: () => 0.5 };

/** Every body sent, by Idempotency-Key: a retry repeats its body under its key, and a new body never reuses one. */
function bodiesByKey(requests: ReceivedRequest[]) {
  const bodies = new Map<string, { ids: string; sends: number }>();
  for (const request of requests) {
    const ids = request.events.map((event) => event.id).join(",");
    const seen = bodies.get(request.idempotencyKey);
    if (seen) expect(seen.ids).toBe(ids);
    bodies.set(request.idempotencyKey, { ids, sends: (seen?.sends ?? 0) + 1 });
  }
  expect(new Set([...bodies.values()].map((body) => body.ids)).size).toBe(bodies.size);
  return bodies;
}

describe("against a real Warden", () => {
  let warden: WardenFixture;
  beforeAll(async () => {
    warden = await startWardenFixture();
  });
  afterAll(async () => {
    await warden?.close();
  });

  const storedMcpEvents = () => warden.db.auditEvent.findMany({ where: { source: "mcp" }, select: { id: true, actor: true } });

  it("a batch mixed with unstorable and refused events: the good ones are stored, the others counted as dropped, and later events still arrive", async () => {
    const log = recordingLogger();
    const audit = reporter({ url: warden.base, apiKey: warden.apiKey, logger: log.logger, ...quick });
    const goodIds = [audit.record(good("alice")).id];
    const invalidIds = unstorable.map(({ event }) => audit.record(event).id);
    goodIds.push(audit.record(good("bob")).id);
    // Valid by the input rules, but refused by Warden, event by event.
    const refusedIds = [audit.record({ ...good("carol"), server: "billing-mcp" }).id, audit.record({ ...good("dave"), ip: "not-an-address" }).id];
    goodIds.push(audit.record(good("erin")).id);

    await audit.flush();

    expect((await storedMcpEvents()).map((event) => event.id).sort()).toEqual([...goodIds].sort());
    expect(audit.stats()).toMatchObject({ sent: 3, queued: 0, inFlight: 0, dropped: { invalid: unstorable.length, rejected: 2, poison: 0, overflow: 0, total: unstorable.length + 2 } });

    // One line per reason, naming the events by id with the reason, never their contents.
    const [invalid, rejected] = log.errors();
    expect(log.errors()).toHaveLength(2);
    expect(invalid!.details).toMatchObject({ reason: "invalid", count: unstorable.length });
    expect((invalid!.details!.events as { id: string }[]).map((event) => event.id)).toEqual(invalidIds);
    expect(JSON.stringify(invalid)).toMatch(/U\+0000/);
    expect(JSON.stringify(invalid)).not.toMatch(/user-surrogate|user.u0000nul/);
    expect(rejected!.details).toMatchObject({ reason: "rejected", count: 2, events: [{ id: refusedIds[0], reason: expect.stringMatching(/server/) }, { id: refusedIds[1], reason: expect.stringMatching(/ip/) }] });

    const later = [audit.record(good("frank")).id, audit.record(good("grace")).id];
    await audit.flush();
    expect((await storedMcpEvents()).map((event) => event.id).sort()).toEqual([...goodIds, ...later].sort());
    expect(audit.stats()).toMatchObject({ sent: 5, dropped: { total: unstorable.length + 2 } });
  });

  it("sends an event exactly as recorded: nothing is trimmed or rewritten on the way", async () => {
    const requests: unknown[] = [];
    const watching: typeof fetch = async (input, init) => {
      requests.push(init?.body);
      return fetch(input, init);
    };
    const audit = reporter({ url: warden.base, apiKey: warden.apiKey, fetch: watching, ...quick });
    // Warden refuses leading or trailing whitespace in a field rather than trimming it, so the spacing here is inside.
    const event = audit.record({ ...good("spaced   actor"), reason: "two\n  lines", details: { note: "  kept  ", emoji: "🦀" } });
    await audit.flush();
    expect(audit.stats()).toMatchObject({ sent: 1, dropped: { total: 0 } });
    const sent = JSON.parse(gunzipSync(requests[0] as Buffer).toString("utf8")) as { events: unknown[] };
    expect(sent.events).toEqual([JSON.parse(JSON.stringify(event))]);
  });
});

/**
 * A stand-in for a Warden from before the input rules: a value PostgreSQL
 * refused failed the whole batch with 500, so nothing in it was stored, while
 * batches without one were stored. A current Warden rejects such an event
 * alone instead. The marker stands for a value the SDK's own checks do not
 * know; any event whose actor starts with "poison" fails its batch.
 */
function preRulesWarden() {
  return startAuditReceiver((_request, events) => (events.some((event) => event.actor.startsWith("poison")) ? { status: 500, body: { error: "Internal Server Error" } } : null));
}

it("against a Warden that fails a whole batch on one event: splits, delivers every good event once, drops the poison after bounded attempts, and keeps sending", async () => {
  const warden = await preRulesWarden();
  const log = recordingLogger();
  const maxAttempts = 3;
  const audit = reporter({ url: warden.url, apiKey: "k", maxAttempts, logger: log.logger, ...quick });
  const names = ["a", "b", "poison-1", "c", "d", "e", "f", "poison-2", "g", "h"];
  const recorded = names.map((name) => audit.record(good(name)));
  const goodIds = recorded.filter((event) => !event.actor.startsWith("poison")).map((event) => event.id);
  const poisonIds = recorded.filter((event) => event.actor.startsWith("poison")).map((event) => event.id);

  await audit.flush();
  await expect.poll(() => audit.stats(), { timeout: 20_000 }).toMatchObject({ sent: 8, duplicates: 0, queued: 0, inFlight: 0, dropped: { poison: 2, total: 2 } });
  expect([...warden.stored.keys()].sort()).toEqual([...goodIds].sort());

  const bodies = bodiesByKey(warden.requests);
  // Every body is tried a bounded number of times; a lone event that failed before Warden had stored anything else gets its bound once more.
  for (const body of bodies.values()) expect(body.sends).toBeLessThanOrEqual(2 * maxAttempts);
  expect(bodies.get(warden.requests[0]!.idempotencyKey)!.sends).toBe(maxAttempts);

  const dropped = log.errors().filter((line) => line.details?.reason === "poison");
  expect(dropped.flatMap((line) => (line.details!.events as { id: string }[]).map((event) => event.id)).sort()).toEqual([...poisonIds].sort());

  // Nothing waits behind the poison any more: later events go in one batch, at the first try.
  const sentBefore = warden.requests.length;
  const later = [audit.record(good("i")).id, audit.record(good("j")).id];
  await audit.flush();
  expect(warden.requests.slice(sentBefore).map((request) => request.events.map((event) => event.id))).toEqual([later]);
  expect(audit.stats()).toMatchObject({ sent: 10, dropped: { total: 2 } });
});

it.each([
  ["first", 0],
  ["last", 63],
])("finding one poison event among 64 (the %s) takes a bounded number of requests", async (_where, poisonAt) => {
  const warden = await preRulesWarden();
  const maxAttempts = 5;
  const audit = reporter({ url: warden.url, apiKey: "k", maxAttempts, ...quick });
  for (let n = 0; n < 64; n++) audit.record(good(n === poisonAt ? "poison" : `user-${n}`));
  await audit.flush();
  await expect.poll(() => audit.stats(), { timeout: 20_000 }).toMatchObject({ sent: 63, inFlight: 0, dropped: { poison: 1 } });
  // The batch and each half holding the poison (7 bodies, 64 → 1) fail maxAttempts times; the lone event
  // may need its bound twice; each of the 6 other halves is stored at the first try.
  const halvings = Math.log2(64);
  expect(warden.requests.length).toBeLessThanOrEqual(maxAttempts * (halvings + 2) + halvings);
  expect(warden.stored.size).toBe(63);
});

it("a Warden failing every batch is an outage, not poison: nothing is dropped, and everything arrives once it recovers", async () => {
  let down = true;
  const warden = await startAuditReceiver(() => (down ? { status: 500 } : null));
  const audit = reporter({ url: warden.url, apiKey: "k", maxAttempts: 2, ...quick });
  const ids = ["a", "b", "c", "d"].map((name) => audit.record(good(name)).id);
  await audit.flush();
  // Long enough to split down to single events and retry each of them alone more than maxAttempts times.
  await expect.poll(() => ({ retried: warden.requests.length >= 30, dropped: audit.stats().dropped.total }), { timeout: 20_000 }).toEqual({ retried: true, dropped: 0 });
  expect(audit.stats()).toMatchObject({ sent: 0, inFlight: 4 });
  down = false;
  await expect.poll(() => warden.stored.size, { timeout: 20_000 }).toBe(4);
  expect([...warden.stored.keys()].sort()).toEqual([...ids].sort());
  expect(audit.stats()).toMatchObject({ sent: 4, inFlight: 0, dropped: { total: 0 } });
});

it.each([400, 413, 422])("a whole batch refused with %i is split down to the events Warden refuses; the others are stored", async (status) => {
  const warden = await startAuditReceiver((_request, events) => (events.some((event) => event.actor.startsWith("bad")) ? { status, body: { error: "scripted refusal" } } : null));
  const log = recordingLogger();
  const audit = reporter({ url: warden.url, apiKey: "k", logger: log.logger, ...quick });
  const recorded = ["a", "bad-1", "b", "c", "bad-2", "d"].map((name) => audit.record(good(name)));
  await audit.flush();
  expect([...warden.stored.values()].map((event) => event.actor).sort()).toEqual(["a", "b", "c", "d"]);
  expect(audit.stats()).toMatchObject({ sent: 4, inFlight: 0, dropped: { rejected: 2, total: 2 } });
  const [line] = log.errors();
  expect(line!.details).toMatchObject({
    reason: "rejected",
    count: 2,
    events: [
      { id: recorded[1]!.id, reason: `HTTP ${status}: scripted refusal` },
      { id: recorded[4]!.id, reason: `HTTP ${status}: scripted refusal` },
    ],
  });
});

it.each([
  { what: "a refused API key (401, 403)", statuses: [401, 403], logged: /refused the API key.*held and retried/ },
  { what: "throttling and a Warden without its database (429, 503)", statuses: [429, 503], logged: null },
])("$what is not poison: events are held whole, never split or dropped, and sent once Warden takes them", async ({ statuses, logged }) => {
  const warden = await startAuditReceiver((request) => (request <= 6 ? { status: statuses[request % 2]! } : null));
  const log = recordingLogger();
  const audit = reporter({ url: warden.url, apiKey: "k", maxAttempts: 2, logger: log.logger, ...quick });
  const ids = ["a", "b", "c"].map((name) => audit.record(good(name)).id);
  await audit.flush();
  await expect.poll(() => warden.stored.size, { timeout: 20_000 }).toBe(3);
  expect(warden.requests).toHaveLength(7);
  expect(new Set(warden.requests.map((request) => request.idempotencyKey)).size).toBe(1);
  expect(warden.requests.every((request) => request.events.map((event) => event.id).join() === ids.join())).toBe(true);
  expect(audit.stats()).toMatchObject({ sent: 3, failedAttempts: 6, dropped: { total: 0 } });
  if (logged) expect(log.errors()[0]!.message).toMatch(logged);
  else expect(log.errors()).toEqual([]);
});
