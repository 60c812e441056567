import { afterEach, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { decideApproval } from "@/lib/approvals/approval-requests";
import { verifyAuditChain } from "@/lib/audit/verify";
import { loadSigner } from "@/lib/config/signing-keys";
import { contentDigest } from "@/sdk/src/contract/canonical-json";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { serveDataPlane } from "./testing";

const digestOf = (args: unknown) => contentDigest(args);
const ARGS = { paymentId: "PAY-1", amount: 120 };

describeEachDatabase("/api/v1/approvals", (t) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setup() {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const staging = await t.db.environment.create({ data: { key: "staging", name: "Staging" } });
    const owner = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const hr = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "hr", resourceUri: "https://hr.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "refund_payment", riskTier: "HIGH", requiresApproval: true } });
    await t.db.tool.create({ data: { serverId: hr.id, name: "fire", requiresApproval: true } });
    const actor = { id: owner.id, email: owner.email };
    const { token } = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales pod", serverId: server.id }));
    const { token: hrToken } = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "hr pod", serverId: hr.id }));
    const { token: stagingToken } = await createApiKey(t.db, actor, staging.id, CreateApiKeySchema.parse({ label: "staging" }));
    const served = await serveDataPlane({ db: () => t.db, signer: () => loadSigner(t.db, encryptionKeyFrom("unused in these tests but long enough")) });
    close = served.close;
    const json = (path: string, body: unknown, as = token) =>
      served.call(path, { method: "POST", token: as, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const open = (extra: Record<string, unknown> = {}, as = token) =>
      json("/api/v1/approvals", { subject: "alice", clientId: "https://agent.example/client.json", tool: "refund_payment", argumentsDigest: digestOf(ARGS), argumentsPreview: ARGS, reason: "Customer asked", requestId: "call-1", configVersion: 4, ...extra }, as);
    const get = (id: string, as = token) => served.call(`/api/v1/approvals/${id}`, { token: as });
    const consume = (id: string, digest = digestOf(ARGS), as = token) => json(`/api/v1/approvals/${id}/consume`, { argumentsDigest: digest }, as);
    const decide = (id: string, decision: "approve" | "deny", note = "") => decideApproval(t.db, { ...actor, role: "OWNER" }, environment.id, { id, decision, note });
    return { environment, token, hrToken, stagingToken, open, get, consume, decide, served };
  }

  it("opens a request that waits, is approved, is consumed once with the same arguments, and tells the story in the audit trail", async () => {
    const { open, get, consume, decide, environment } = await setup();
    const created = await open({ argumentsPreview: { ...ARGS, apiKey: "sk_live_secret" } });
    expect(created.status).toBe(201);
    const request = await created.json();
    expect(created.headers.get("location")).toBe(`/api/v1/approvals/${request.id}`);
    expect(request).toMatchObject({ status: "PENDING", server: "sales", tool: "refund_payment", subject: "alice", argumentsDigest: digestOf(ARGS), requestId: "call-1" });
    // Ten minutes by default.
    expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBe(600_000);
    expect((await (await get(request.id)).json()).status).toBe("PENDING");
    // Not decided yet: nothing to consume.
    expect((await consume(request.id)).status).toBe(409);

    await decide(request.id, "approve", "ok, refund it");
    const approved = await (await get(request.id)).json();
    expect(approved).toMatchObject({ status: "APPROVED", decidedBy: "owner@example.com", decisionNote: "ok, refund it" });

    const used = await consume(request.id);
    expect(used.status).toBe(200);
    expect((await used.json()).status).toBe("CONSUMED");
    const replay = await consume(request.id);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ code: "already_used", error: expect.stringMatching(/already used/) });

    const events = await t.db.auditEvent.findMany({ where: { details: { path: ["approvalId"], equals: request.id } }, orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.action, event.decision, event.requestId])).toEqual([
      ["approval.requested", null, "call-1"],
      ["approval.consume_refused", "deny", "call-1"],
      ["approval.approved", "allow", "call-1"],
      ["approval.consumed", "allow", "call-1"],
      ["approval.consume_refused", "deny", "call-1"],
    ]);
    // The preview is redacted before it is stored or audited.
    expect(JSON.stringify(events[0]!.details)).not.toContain("sk_live_secret");
    const row = await t.db.approvalRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(row.argumentsPreview).toEqual({ ...ARGS, apiKey: "[redacted]" });
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true });
  });

  it("refuses an approval for changed arguments, and keeps it usable for the approved ones", async () => {
    const { open, consume, decide } = await setup();
    const { id } = await (await open()).json();
    await decide(id, "approve");
    const changed = await consume(id, digestOf({ ...ARGS, amount: 12_000 }));
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ code: "arguments_changed" });
    expect((await consume(id)).status).toBe(200);
  });

  it("refuses a denied request with the approver's comment", async () => {
    const { open, get, consume, decide } = await setup();
    const { id } = await (await open()).json();
    await decide(id, "deny", "Refunds above 100 need finance");
    expect(await (await get(id)).json()).toMatchObject({ status: "DENIED", decisionNote: "Refunds above 100 need finance" });
    const refused = await consume(id);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toMatch(/denied: Refunds above 100 need finance/);
  });

  it("expires a request nobody decided: expiry means deny, audited once", async () => {
    const { open, get, consume, decide } = await setup();
    const { id, expiresAt, createdAt } = await (await open({ expiresInSeconds: 1 })).json();
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await (await get(id)).json()).status).toBe("EXPIRED");
    expect((await get(id)).status).toBe(200);
    await expect(decide(id, "approve")).rejects.toThrow(/expired before your decision/);
    const refused = await consume(id);
    expect(await refused.json()).toMatchObject({ code: "expired" });
    const expired = await t.db.auditEvent.findMany({ where: { action: "approval.expired" } });
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ decision: "deny", requestId: "call-1", tool: "refund_payment" });
  });

  it("never lets a request outlive the environment's expiry", async () => {
    const { open, environment } = await setup();
    await t.db.environment.update({ where: { id: environment.id }, data: { approvalTtlSeconds: 60 } });
    const { expiresAt, createdAt } = await (await open({ expiresInSeconds: 3_600 })).json();
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(60_000);
  });

  it("keeps each server's and each environment's requests to themselves", async () => {
    const { open, get, consume, hrToken, stagingToken, decide } = await setup();
    const { id } = await (await open()).json();
    await decide(id, "approve");
    // Another server's key, another environment's key: as if it did not exist.
    expect((await get(id, hrToken)).status).toBe(404);
    expect((await consume(id, undefined, hrToken)).status).toBe(404);
    expect((await get(id, stagingToken)).status).toBe(404);
    expect((await consume(id, undefined, stagingToken)).status).toBe(404);
    // A key bound to a server cannot open requests for another.
    const elsewhere = await open({ server: "hr", tool: "fire" });
    expect(elsewhere.status).toBe(403);
    expect((await elsewhere.json()).error).toMatch(/belongs to server sales, not hr/);
    // Unknown tools and servers are 404; an environment-wide key must name the server.
    expect((await open({ tool: "nope" })).status).toBe(404);
    expect((await open({}, stagingToken)).status).toBe(400);
    expect((await get("not-a-uuid")).status).toBe(404);
    expect((await get("0190d2a8-0000-7000-8000-000000000000")).status).toBe(404);
    // Still usable by its own server.
    expect((await consume(id)).status).toBe(200);
  });

  it("answers bad input with a clear 4xx, and no key with 401", async () => {
    const { open, served, get, token } = await setup();
    expect((await open({ argumentsDigest: "md5:abc" })).status).toBe(400);
    expect((await (await open({ argumentsDigest: "md5:abc" })).json()).error).toMatch(/argumentsDigest/);
    expect((await open({ subject: "" })).status).toBe(400);
    expect((await open({ extra: 1 })).status).toBe(400);
    expect((await open({ argumentsPreview: { blob: "x".repeat(5_000) } })).status).toBe(400);
    expect((await open({ expiresInSeconds: 0 })).status).toBe(400);
    const notJson = await served.call("/api/v1/approvals", { method: "POST", token, headers: { "content-type": "application/json" }, body: "{" });
    expect(notJson.status).toBe(400);
    expect((await served.call("/api/v1/approvals", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    expect((await served.call("/api/v1/approvals", { token })).status).toBe(405);
    expect((await get("x/y")).status).toBe(404);
    expect(await t.db.approvalRequest.count()).toBe(0);
  });
});
