import { request } from "node:http";
import { v7 as uuidv7 } from "uuid";
import { afterEach, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { verifyAuditChain } from "@/lib/audit/verify";
import { loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { serveDataPlane } from "./testing";

// The shared input rules (lib/input/rules.ts) on every data-plane endpoint
// that takes a body: what zod's types allow but PostgreSQL or the runtime
// refuses is a clear 4xx (or, in an audit batch, the rejection of that one
// event), never a 500 and never a lost good event.

const NUL = "\u0000";
const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";
const TOO_BIG = 2 ** 31;

/** JSON text nested `depth` levels deep, written by hand: JSON.stringify overflows the stack long before 10,000. */
const nestedText = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
/** The same in two bytes a level, for endpoints whose body limit is a few KiB. */
const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { a: 1 };
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
};

const event = (overrides: Record<string, unknown> = {}) => ({
  id: uuidv7(),
  ts: new Date().toISOString(),
  actor: "alice@example.com",
  server: "sales",
  tool: "get_invoice",
  action: "tool.call",
  decision: "allow",
  reason: "granted to role analyst",
  configVersion: 3,
  details: { arguments: { invoiceId: "INV-1" } },
  ...overrides,
});

describeEachDatabase("data-plane input rules", (t) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setup() {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "refund_payment", riskTier: "HIGH", requiresApproval: true } });
    const { token } = await createApiKey(t.db, { id: admin.id, email: admin.email }, environment.id, CreateApiKeySchema.parse({ label: "sales pod", serverId: server.id }));
    const served = await serveDataPlane({ db: () => t.db, signer: () => loadSigner(t.db, encryptionKeyFrom("unused in these tests but long enough")) });
    close = served.close;
    const post = (path: string, body: string) => served.call(path, { method: "POST", token, headers: { "content-type": "application/json" }, body });
    // Events given as text are sent as written (a nesting JSON.stringify cannot produce).
    const sendEvents = (events: (Record<string, unknown> | string)[]) =>
      post("/api/v1/audit-events", `{"events":[${events.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(",")}]}`);
    const stored = () => t.db.auditEvent.findMany({ where: { source: "mcp" }, orderBy: { seq: "asc" } });
    return { environment, served, token, post, sendEvents, stored };
  }

  // ---------- POST /api/v1/audit-events: each bad event is rejected alone ----------

  const eventCases: [rule: string, bad: Record<string, unknown> | string, reason: RegExp][] = [
    ["text holds U+0000 (actor)", event({ actor: `alice${NUL}` }), /^actor: contains the character U\+0000, which cannot be stored$/],
    ["text holds U+0000 (a details key)", event({ details: { [`k${NUL}`]: 1 } }), /^details: a key contains the character U\+0000/],
    ["text holds U+0000 (a details value)", event({ details: { note: `x${NUL}` } }), /^details: a string at note contains the character U\+0000/],
    ["text holds a lone high surrogate (reason)", event({ reason: `denied ${LONE_HIGH}` }), /^reason: is not well-formed Unicode \(a lone UTF-16 surrogate\)$/],
    ["text holds a lone low surrogate (tool)", event({ tool: `${LONE_LOW}x` }), /^tool: is not well-formed Unicode/],
    ["configVersion is above PostgreSQL's integer (2^31)", event({ configVersion: TOO_BIG }), /^configVersion must be at most 2147483647$/],
    ["ts is in year 0, which PostgreSQL does not have", event({ ts: "0000-01-01T00:00:00Z" }), /^ts: must be between the years 1 and 9999$/],
    ["details nest 33 levels deep, one more than allowed", event({ details: nested(33) }), /^the event is nested deeper than 33 levels \(details may nest at most 32\)$/],
    ["details nest 10,000 levels deep", JSON.stringify(event({ details: "DEEP" })).replace('"DEEP"', nestedText(10_000)), /^the event is nested deeper than 33 levels/],
    ["text starts with whitespace (actor)", event({ actor: " alice@example.com" }), /^actor: starts or ends with whitespace; send the text exactly as it should be recorded$/],
    ["text ends with whitespace (reason)", event({ reason: "granted\n" }), /^reason: starts or ends with whitespace/],
  ];

  it.each(eventCases)("rejects an audit event whose %s with its index and reason, and stores the good events beside it", async (_rule, bad, reason) => {
    const { sendEvents, stored, environment } = await setup();
    const good = [event(), event()];
    const response = await sendEvents([good[0]!, bad, good[1]!]);
    expect(response.status).toBe(202);
    const result = await response.json();
    expect(result).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 1, reason: expect.stringMatching(reason) }] });
    expect((await stored()).map((row) => row.id)).toEqual(good.map((item) => item.id));
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true });
  });

  it("stores an audit event's text exactly as sent: inner whitespace and any well-formed Unicode are kept, nothing is trimmed", async () => {
    const { sendEvents, stored } = await setup();
    const sent = event({ actor: "alice  smith", reason: "line one\nline two", details: { emoji: "🔐 ok", tab: "a\tb" } });
    // The deepest details allowed, 32 levels, are stored too.
    const deepest = event({ details: nested(32) });
    expect(await (await sendEvents([sent, deepest])).json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await stored()).toEqual([
      expect.objectContaining({ actor: "alice  smith", reason: "line one\nline two", details: { emoji: "🔐 ok", tab: "a\tb" } }),
      expect.objectContaining({ id: deepest.id, details: nested(32) }),
    ]);
  });

  it("refuses an audit batch whose envelope nests deeper than 32 levels, or that is not UTF-8, with a 400 that says so", async () => {
    const { post, served, token, stored } = await setup();
    const deepEnvelope = await post("/api/v1/audit-events", `{"events":[${JSON.stringify(event())}],"extra":${nestedText(10_000)}}`);
    expect(deepEnvelope.status).toBe(400);
    expect(await deepEnvelope.json()).toEqual({ error: "The JSON is nested deeper than 32 levels." });
    const notUtf8 = await served.call("/api/v1/audit-events", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: Buffer.concat([Buffer.from('{"events":[{"actor":"'), Buffer.from([0xff]), Buffer.from('"}]}')]),
    });
    expect(notUtf8.status).toBe(400);
    expect(await notUtf8.json()).toEqual({ error: "The body is not valid UTF-8." });
    expect(await stored()).toHaveLength(0);
  });

  // ---------- POST /api/v1/clients/intake ----------

  it.each([
    ["holds U+0000", JSON.stringify({ clientId: `https://agent.example.com/${NUL}client.json` }), /^The JSON is not acceptable: a string at clientId contains the character U\+0000/],
    ["holds a lone surrogate", JSON.stringify({ clientId: `https://agent.example.com/${LONE_HIGH}.json` }), /^The JSON is not acceptable: a string at clientId is not well-formed Unicode/],
    ["nests 4,000 levels deep", `{"clientId":${nestedArrays(4_000)}}`, /^The JSON is nested deeper than 32 levels\.$/],
  ])("refuses a client intake whose body %s with a 400 naming the rule, and stores nothing", async (_rule, body, error) => {
    const { post } = await setup();
    const response = await post("/api/v1/clients/intake", body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(error);
    expect(await t.db.client.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { source: "mcp" } })).toBe(0);
  });

  // ---------- POST /api/v1/approvals and /approvals/:id/consume ----------

  const opening = (extra: Record<string, unknown>) =>
    JSON.stringify({ subject: "alice", tool: "refund_payment", argumentsDigest: `sha256:${"a".repeat(64)}`, argumentsPreview: { amount: 120 }, configVersion: 4, ...extra });

  it.each([
    ["configVersion above PostgreSQL's integer (2^31)", opening({ configVersion: TOO_BIG }), "configVersion: must be at most 2147483647"],
    ["U+0000 in subject", opening({ subject: `alice${NUL}` }), "The JSON is not acceptable: a string at subject contains the character U+0000, which cannot be stored."],
    ["a lone surrogate in an argument", opening({ argumentsPreview: { note: LONE_LOW } }), "The JSON is not acceptable: a string at argumentsPreview.note is not well-formed Unicode (a lone UTF-16 surrogate)."],
    ["arguments nested 40 levels deep", opening({ argumentsPreview: nested(40) }), "The JSON is nested deeper than 32 levels."],
    ["arguments nested 6,000 levels deep", opening({ argumentsPreview: "DEEP" }).replace('"DEEP"', `{"a":${nestedArrays(6_000)}}`), "The JSON is nested deeper than 32 levels."],
  ])("refuses an approval request with %s with a 400 naming the rule, and opens nothing", async (_rule, body, error) => {
    const { post } = await setup();
    const response = await post("/api/v1/approvals", body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe(error);
    expect(await t.db.approvalRequest.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { source: "mcp" } })).toBe(0);
  });

  it("refuses a consume body that breaks the input rules with a 400, and spends nothing", async () => {
    const { post } = await setup();
    const opened = await (await post("/api/v1/approvals", opening({}))).json();
    for (const body of [JSON.stringify({ argumentsDigest: `sha256:${NUL}` }), `{"argumentsDigest":${nestedArrays(6_000)}}`]) {
      const response = await post(`/api/v1/approvals/${opened.id}/consume`, body);
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(/^The JSON is (not acceptable|nested deeper than 32 levels)/);
    }
    expect(await t.db.approvalRequest.findUniqueOrThrow({ where: { id: opened.id } })).toMatchObject({ status: "PENDING", consumedAt: null });
  });

  // ---------- body limits on a streamed body ----------

  it.each([
    ["/api/v1/clients/intake", "The body is larger than 8 KiB."],
    ["/api/v1/approvals", "The body is larger than 16 KiB."],
    ["/api/v1/audit-events", "The body is larger than 1 MiB."],
  ])("answers a chunked body that keeps coming past the limit of %s with the 413 first, then closes the connection", async (path, error) => {
    const { served, token } = await setup();
    const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const url = new URL(path, served.base);
      // No Content-Length: node sends the body chunked, and this sender never stops on its own.
      const req = request(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let answered = false;
      const pump = () => {
        while (!answered && req.write(chunk));
        if (!answered) req.once("drain", pump);
      };
      req.on("response", (res) => {
        answered = true;
        let body = "";
        res.setEncoding("utf8").on("data", (part: string) => (body += part));
        res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
        res.on("error", reject);
      });
      // Once answered, the server closes the connection under the still-writing sender: expected.
      req.on("error", (cause) => {
        if (!answered) reject(cause);
      });
      req.write("{");
      pump();
    });
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({ error });
  });
});
