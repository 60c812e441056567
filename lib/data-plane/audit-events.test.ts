import { gzipSync } from "node:zlib";
import { v7 as uuidv7 } from "uuid";
import { afterEach, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { chainsOf } from "@/lib/audit/record";
import { verifyAuditChain } from "@/lib/audit/verify";
import { loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { serveDataPlane } from "./testing";

const event = (overrides: Record<string, unknown> = {}) => ({
  id: uuidv7(),
  ts: new Date().toISOString(),
  actor: "alice@example.com",
  clientId: "https://agent.example.com/client.json",
  server: "sales",
  tool: "get_invoice",
  action: "tool.call",
  decision: "allow",
  reason: "granted to role analyst",
  configVersion: 3,
  requestId: "req-1",
  ip: "203.0.113.7",
  details: { arguments: { invoiceId: "INV-1" } },
  ...overrides,
});

describeEachDatabase("POST /api/v1/audit-events", (t) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setup(options: { rateLimit?: { perSecond: number; burst: number } } = {}) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const { token } = await createApiKey(t.db, { id: admin.id, email: admin.email }, environment.id, CreateApiKeySchema.parse({ label: "sales pod", serverId: server.id }));
    if (options.rateLimit) await t.db.environment.update({ where: { id: environment.id }, data: { apiKeyRatePerSecond: options.rateLimit.perSecond, apiKeyRateBurst: options.rateLimit.burst } });
    const served = await serveDataPlane({ db: () => t.db, signer: () => loadSigner(t.db, encryptionKeyFrom("unused in these tests but long enough")) });
    close = served.close;
    const send = (body: unknown, headers: Record<string, string> = {}) =>
      served.call("/api/v1/audit-events", {
        method: "POST",
        token,
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
      });
    // Only the events this endpoint wrote (creating the API key wrote an admin event).
    const stored = () => t.db.auditEvent.findMany({ where: { source: "mcp" }, orderBy: { seq: "asc" } });
    return { environment, send, stored, served, token };
  }

  it("stores a batch in the key's environment chain and answers 202 with the counts", async () => {
    const { send, stored, environment } = await setup();
    const events = [event(), event({ decision: "deny", reason: "missing scope", tool: "refund" })];
    const response = await send({ events });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const rows = await stored();
    expect(rows.map((row) => [row.id, row.environmentId, row.source, row.decision, row.tool])).toEqual([
      [events[0]!.id, environment.id, "mcp", "allow", "get_invoice"],
      [events[1]!.id, environment.id, "mcp", "deny", "refund"],
    ]);
    expect(rows[0]).toMatchObject({ actor: "alice@example.com", clientId: "https://agent.example.com/client.json", server: "sales", configVersion: 3, ip: "203.0.113.7" });
    // One batch is written to one of the environment's lanes, in order, and every lane checks out.
    expect(chainsOf(environment.id)).toContain(rows[0]!.chain);
    expect(rows[1]).toMatchObject({ chain: rows[0]!.chain, prevHash: rows[0]!.hash });
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true, checked: 3 });
  });

  it("counts a retried event as a duplicate and stores it once", async () => {
    const { send, stored } = await setup();
    const events = [event(), event()];
    await send({ events });
    const retry = await send({ events: [...events, event()] });
    expect(await retry.json()).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    // The same id twice in one batch is one event too.
    const twice = event();
    expect(await (await send({ events: [twice, twice] })).json()).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    expect(await stored()).toHaveLength(4);
  });

  it("stores each event once when the same batch arrives on several connections at once", async () => {
    const { send, stored, environment } = await setup();
    const events = Array.from({ length: 20 }, () => event());
    const answers = await Promise.all([0, 1, 2, 3].map(async () => (await send({ events })).json()));
    expect(answers.reduce((sum, answer) => sum + answer.accepted, 0)).toBe(20);
    expect(answers.reduce((sum, answer) => sum + answer.duplicates, 0)).toBe(60);
    expect(await stored()).toHaveLength(20);
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true, checked: 21 });
  });

  it("answers a retried Idempotency-Key with the first answer, and refuses the key for another body", async () => {
    const { send, stored } = await setup();
    const events = [event(), event()];
    const first = await send({ events }, { "idempotency-key": "batch-1" });
    const again = await send({ events }, { "idempotency-key": "batch-1" });
    expect(await first.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const reused = await send({ events: [event()] }, { "idempotency-key": "batch-1" });
    expect(reused.status).toBe(422);
    expect((await reused.json()).error).toMatch(/already used for a different body/);
    expect(await stored()).toHaveLength(2);
    expect((await send({ events: [event()] }, { "idempotency-key": "x".repeat(201) })).status).toBe(400);
  });

  it("rejects each bad event with its index and reason, and keeps the good ones", async () => {
    const { send, stored } = await setup();
    const future = new Date(Date.now() + 60 * 60_000).toISOString();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: "not-a-uuid" }, /^id must be a UUID/],
      [{ ts: "yesterday" }, /^ts must be an ISO 8601 date-time/],
      [{ ts: future }, /dated in the future/],
      [{ actor: "" }, /actor \(the user's sub\) is required/],
      [{ action: undefined }, /^action: /],
      [{ decision: "maybe" }, /decision must be "allow", "deny" or "error"/],
      [{ source: "admin" }, /source must be "mcp"/],
      [{ environment: "dev" }, /this API key belongs to prod, not dev/],
      [{ server: "billing" }, /this API key belongs to server sales, not billing/],
      [{ configVersion: 1.5 }, /configVersion must be a whole number/],
      [{ ip: "999.1.1.1" }, /ip must be an IPv4 or IPv6 address/],
      [{ details: "text" }, /details must be a JSON object/],
      [{ details: { blob: "x".repeat(17 * 1024) } }, /details must serialize to at most 16 KiB/],
      [{ unexpected: true }, /unexpected/],
    ];
    const good = event();
    const response = await send({ events: [good, ...cases.map(([overrides]) => event(overrides)), "not an object"] });
    expect(response.status).toBe(202);
    const result = await response.json();
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((rejection: { index: number }) => rejection.index)).toEqual([...cases.map((_, index) => index + 1), cases.length + 1]);
    cases.forEach(([, reason], index) => expect(result.rejected[index].reason).toMatch(reason));
    expect((await stored()).map((row) => row.id)).toEqual([good.id]);
  });

  it("redacts secrets in details before they are stored", async () => {
    const { send, stored } = await setup();
    await send({ events: [event({ details: { headers: { authorization: "Bearer abc.def" }, note: "used wdn_prod_abcdefabcdef_secretsecret" } })] });
    const [row] = await stored();
    expect(row!.details).toEqual({ headers: { authorization: "[redacted]" }, note: "used [redacted]" });
  });

  it("accepts gzip, and stops decompressing at 10 MiB", async () => {
    const { send, stored } = await setup();
    const ok = await send(gzipSync(JSON.stringify({ events: [event()] })), { "content-encoding": "gzip" });
    expect(ok.status).toBe(202);
    expect(await stored()).toHaveLength(1);

    // 11 MiB of spaces compresses to a few KiB.
    const bomb = gzipSync(`{"events": [${" ".repeat(11 * 1024 * 1024)}]}`);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const refused = await send(bomb, { "content-encoding": "gzip" });
    expect(refused.status).toBe(413);
    expect((await refused.json()).error).toBe("The body is larger than 10 MiB once decompressed.");

    const broken = await send(Buffer.from("not gzip at all"), { "content-encoding": "gzip" });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toBe("The body is not valid gzip.");
  });

  it("refuses what breaks the contract with a clear 4xx and stores nothing", async () => {
    const { send, stored, served, token } = await setup();
    const tooMany = await send({ events: Array.from({ length: 1_001 }, () => event()) });
    expect(tooMany.status).toBe(413);
    expect((await tooMany.json()).error).toBe("At most 1,000 events per request; this one has 1,001. Split the batch.");

    const huge = await send({ events: [event({ details: { blob: "x".repeat(1024 * 1024) } })] });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toBe("The body is larger than 1 MiB.");

    const asText = await send(JSON.stringify({ events: [event()] }), { "content-type": "text/plain" });
    expect(asText.status).toBe(415);
    const brotli = await send(JSON.stringify({ events: [event()] }), { "content-encoding": "br" });
    expect(brotli.status).toBe(415);
    expect((await brotli.json()).error).toBe("Send the body uncompressed or with Content-Encoding: gzip.");

    expect((await send("{not json")).status).toBe(400);
    const noEvents = await send({ items: [] });
    expect(noEvents.status).toBe(400);
    expect((await noEvents.json()).error).toBe('Send {"events": [...]}.');
    expect(await (await send({ events: [] })).json()).toEqual({ error: "The batch has no events." });

    expect((await served.call("/api/v1/audit-events", { token })).status).toBe(405);
    const anonymous = await served.call("/api/v1/audit-events", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ events: [event()] }) });
    expect(anonymous.status).toBe(401);
    expect(await stored()).toHaveLength(0);
  });

  it("answers 429 with Retry-After once the key's rate is spent", async () => {
    const { send } = await setup({ rateLimit: { perSecond: 1, burst: 2 } });
    expect((await send({ events: [event()] })).status).toBe(202);
    expect((await send({ events: [event()] })).status).toBe(202);
    const limited = await send({ events: [event()] });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
