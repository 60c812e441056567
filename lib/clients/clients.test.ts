import { afterAll, beforeAll, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "@/lib/input/rules";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { StaleWriteError } from "@/lib/errors";
import { buildPublishedConfig } from "@/lib/config/snapshot";
import { applyMetadataRefresh, ClientListQuerySchema, DeleteClientSchema, deleteClient, listClients, registerClient, reviewClient } from "./clients";
import { recheckDueClients } from "./recheck";
import { previewClient, type FetchSettings } from "./preview";
import { DEFAULT_MAX_BYTES } from "./safe-fetch";
import { startHttpsFixture, TEST_CA } from "./testing/fixture-server";

// A real HTTPS server on loopback publishes the documents; its test CA is
// trusted through the fetcher's explicit test setting.
let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
let published: Record<string, unknown>;
let agentGone = false;
const settings: FetchSettings = { testing: { allowLoopback: true, ca: TEST_CA } };

beforeAll(async () => {
  fixture = await startHttpsFixture({
    "/agent/client.json": (_req, res) =>
      agentGone ? res.writeHead(404).end() : res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "max-age=600" }).end(JSON.stringify(published)),
    "/second/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ...document(), client_id: `${fixture.origin}/second/client.json` })),
    "/broken/client.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ client_name: "Broken" })),
    "/deep/client.json": (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(deepDocument(`${fixture.origin}/deep/client.json`)),
  });
});
afterAll(() => fixture?.close());

const agentUrl = () => `${fixture.origin}/agent/client.json`;
const document = () => ({
  client_id: agentUrl(),
  client_name: "Research Agent",
  redirect_uris: [`${fixture.origin}/callback`, "http://127.0.0.1/callback"],
  grant_types: ["authorization_code"],
  token_endpoint_auth_method: "none",
});

/**
 * A client metadata document under the 5 KB cap whose one extra member nests
 * as deep as the cap allows: deep enough to overflow a recursive walk.
 */
function deepDocument(clientId: string): string {
  const head = JSON.stringify({ client_id: clientId, client_name: "Deep Agent", redirect_uris: [], token_endpoint_auth_method: "none" }).slice(0, -1) + ',"x":';
  const depth = Math.floor((DEFAULT_MAX_BYTES - head.length - 1) / 2);
  return `${head}${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

describeEachDatabase("client registration", (t) => {
  let actor = { id: "", email: "owner@example.com" };
  let environmentId = "";
  const decision = { note: undefined, scopeCeiling: [], restrictTools: false, allowedTools: [] };

  const setup = async () => {
    published = document();
    agentGone = false;
    environmentId = (await t.db.environment.create({ data: { key: "dev", name: "Development" } })).id;
    actor = { id: (await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } })).id, email: "owner@example.com" };
  };

  it("previews, then approves a valid client, and audits the decision", async () => {
    await setup();
    const preview = await previewClient(agentUrl(), settings);
    expect(preview).toMatchObject({ fetched: true, hostname: `localhost:${fixture.port}`, name: "Research Agent", authMethod: "none", errors: [] });
    expect(preview.redirects.map((redirect) => redirect.host)).toEqual([`localhost:${fixture.port}`, "127.0.0.1"]);

    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision, scopeCeiling: ["tools:read"] }, preview);
    expect(client).toMatchObject({ status: "APPROVED", scopeCeiling: ["tools:read"], reviewedById: actor.id });
    expect(client.cacheExpiresAt!.getTime() - client.fetchedAt!.getTime()).toBe(600_000);
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "client.approved", target: `client:${agentUrl()}`, environmentId });
  });

  it("refuses to approve a document that breaks the rules, but can record the rejection", async () => {
    await setup();
    const brokenUrl = `${fixture.origin}/broken/client.json`;
    const preview = await previewClient(brokenUrl, settings);
    expect(preview.errors.map((issue) => issue.code)).toEqual(expect.arrayContaining(["client_id_mismatch", "redirect_uris_missing", "auth_method_missing"]));
    expect(preview.cacheExpiresAt).toBeNull();

    await expect(registerClient(t.db, actor, environmentId, { clientId: brokenUrl, decision: "approve", ...decision }, preview)).rejects.toThrow(/breaks 3 rules/);
    expect(await t.db.client.count()).toBe(0);
    expect(await t.db.auditEvent.count()).toBe(0);

    const rejected = await registerClient(t.db, actor, environmentId, { clientId: brokenUrl, decision: "reject", ...decision, note: "not ours" }, preview);
    expect(rejected.status).toBe("REJECTED");
  });

  it(`previews a document nested deeper than ${MAX_JSON_DEPTH} levels as a fetch error naming the depth rule, not a crash`, async () => {
    const preview = await previewClient(`${fixture.origin}/deep/client.json`, settings);
    expect(preview).toMatchObject({ fetched: false, metadata: null, fetchError: { code: "json_too_deep", message: expect.stringContaining(`nested deeper than ${MAX_JSON_DEPTH} levels`) } });
    expect(preview.errors).toEqual([expect.objectContaining({ code: "json_too_deep", field: "(fetch)" })]);
  });

  it("refuses to register the same client twice in an environment", async () => {
    await setup();
    const preview = await previewClient(agentUrl(), settings);
    await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "pending", ...decision }, preview);
    await expect(registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, preview)).rejects.toThrow(/already registered/);
    const { rows, total } = await listClients(t.db, environmentId, ClientListQuerySchema.parse({ status: "PENDING" }));
    expect(total).toBe(1);
    expect(rows[0]).toMatchObject({ status: "PENDING", name: "Research Agent" });
  });

  it("refuses a review based on a stale version, changing nothing", async () => {
    await setup();
    const preview = await previewClient(agentUrl(), settings);
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "pending", ...decision }, preview);
    await reviewClient(t.db, actor, environmentId, { id: client.id, version: 1, decision: "approve", ...decision }, { approvable: true });
    const stale = reviewClient(t.db, actor, environmentId, { id: client.id, version: 1, decision: "reject", ...decision }, { approvable: true });
    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    expect((await t.db.client.findUniqueOrThrow({ where: { id: client.id } })).status).toBe("APPROVED");
  });

  it("deletes a client against the version seen, with the reason in the audit trail, and the next config leaves it out", async () => {
    await setup();
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await previewClient(agentUrl(), settings));
    expect((await buildPublishedConfig(t.db, environmentId)).policy.clients.map((c) => c.clientId)).toEqual([agentUrl()]);

    await reviewClient(t.db, actor, environmentId, { id: client.id, version: 1, decision: "suspend", ...decision }, { approvable: true });
    const stale = deleteClient(t.db, actor, environmentId, { id: client.id, version: 1, reason: "gone" });
    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    expect(await t.db.client.count()).toBe(1);

    await reviewClient(t.db, actor, environmentId, { id: client.id, version: 2, decision: "approve", ...decision }, { approvable: true });
    expect(await deleteClient(t.db, actor, environmentId, { id: client.id, version: 3, reason: "vendor retired it" })).toEqual({ clientId: agentUrl(), status: "APPROVED" });
    expect(await t.db.client.count()).toBe(0);
    expect((await buildPublishedConfig(t.db, environmentId)).policy.clients).toEqual([]);
    const event = await t.db.auditEvent.findFirst({ where: { action: "client.deleted" } });
    expect(event).toMatchObject({ actor: actor.id, target: `client:${agentUrl()}`, environmentId, details: { before: { status: "APPROVED" }, reason: "vendor retired it" } });

    await expect(deleteClient(t.db, actor, environmentId, { id: client.id, version: 3, reason: "again" })).rejects.toThrow(/no longer exists/);
    expect(await t.db.auditEvent.count({ where: { action: "client.deleted" } })).toBe(1);
  });

  it("refuses a delete without a reason", () => {
    const result = DeleteClientSchema.safeParse({ id: "0190c0de-0000-7000-8000-000000000000", version: 1, reason: "  " });
    expect(result.error?.issues[0]).toMatchObject({ path: ["reason"], message: expect.stringMatching(/Say why/) });
  });

  it("does not delete a client of another environment", async () => {
    await setup();
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "pending", ...decision }, await previewClient(agentUrl(), settings));
    const other = (await t.db.environment.create({ data: { key: "prod", name: "Production" } })).id;
    await expect(deleteClient(t.db, actor, other, { id: client.id, version: 1, reason: "x" })).rejects.toThrow(/no longer exists/);
    expect(await t.db.client.count()).toBe(1);
  });

  it("sends an approved client back to review when its redirect URIs change, but not for a cosmetic change", async () => {
    await setup();
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await previewClient(agentUrl(), settings));

    published = { ...document(), client_uri: `${fixture.origin}/about` };
    const cosmetic = await applyMetadataRefresh(t.db, actor, environmentId, client.id, await previewClient(agentUrl(), settings));
    expect(cosmetic).toMatchObject({ backToReview: false, status: "APPROVED" });
    expect(cosmetic.changes).toEqual([{ field: "client_uri", before: null, after: `${fixture.origin}/about`, needsReview: false }]);

    published = { ...document(), client_uri: `${fixture.origin}/about`, redirect_uris: ["https://attacker.example/steal"] };
    const risky = await applyMetadataRefresh(t.db, actor, environmentId, client.id, await previewClient(agentUrl(), settings));
    expect(risky).toMatchObject({ backToReview: true, status: "PENDING" });
    expect((await t.db.client.findUniqueOrThrow({ where: { id: client.id } })).status).toBe("PENDING");
    const actions = (await t.db.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((event) => event.action);
    expect(actions).toEqual(["client.approved", "client.metadata_changed", "client.metadata_changed_needs_review"]);
  });

  it("keeps the stored metadata when a refresh fails or the new document is invalid", async () => {
    await setup();
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await previewClient(agentUrl(), settings));
    published = { ...document(), client_secret: "oops" };
    await expect(applyMetadataRefresh(t.db, actor, environmentId, client.id, await previewClient(agentUrl(), settings))).rejects.toThrow(/breaks validation/);
    const stored = await t.db.client.findUniqueOrThrow({ where: { id: client.id } });
    expect(stored.metadata).not.toHaveProperty("client_secret");
    expect(stored.status).toBe("APPROVED");
  });

  it("re-checks expired approved clients once each, sends risky changes back to review, and records failures", async () => {
    await setup();
    const secondUrl = `${fixture.origin}/second/client.json`;
    const agent = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await previewClient(agentUrl(), settings));
    await registerClient(t.db, actor, environmentId, { clientId: secondUrl, decision: "approve", ...decision }, await previewClient(secondUrl, settings));
    const later = new Date(Date.now() + 24 * 60 * 60_000);

    // Nothing is due yet.
    expect(await recheckDueClients(t.db, settings)).toEqual({ checked: 0, changed: 0, backToReview: 0, failed: 0 });

    published = { ...document(), redirect_uris: ["https://attacker.example/steal"] };
    const rounds = await Promise.all([recheckDueClients(t.db, settings, { now: later }), recheckDueClients(t.db, settings, { now: later })]);
    // Two instances at once: each due client is checked by exactly one of them.
    expect(rounds.reduce((sum, round) => sum + round.checked, 0)).toBe(2);
    expect(rounds.reduce((sum, round) => sum + round.backToReview, 0)).toBe(1);
    expect((await t.db.client.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe("PENDING");

    // A publisher that vanishes leaves the approval alone, and says so in the trail.
    await t.db.client.update({ where: { id: agent.id }, data: { status: "APPROVED", cacheExpiresAt: null } });
    agentGone = true;
    expect(await recheckDueClients(t.db, settings, { now: later })).toMatchObject({ checked: 1, failed: 1 });
    expect((await t.db.client.findUniqueOrThrow({ where: { id: agent.id } })).status).toBe("APPROVED");
    const failure = await t.db.auditEvent.findFirst({ where: { action: "client.recheck_failed" } });
    expect(failure).toMatchObject({ actor: "system", environmentId, reason: expect.stringMatching(/404/) });
    // The lease keeps it from being hammered on the next round.
    expect((await recheckDueClients(t.db, settings, { now: later })).checked).toBe(0);
  });

  it("re-checks each client on its own: a deeply nested document fails alone, and the clients after it are still re-checked", async () => {
    await setup();
    const secondUrl = `${fixture.origin}/second/client.json`;
    const deepUrl = `${fixture.origin}/deep/client.json`;
    const good = [
      await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await previewClient(agentUrl(), settings)),
      await registerClient(t.db, actor, environmentId, { clientId: secondUrl, decision: "approve", ...decision }, await previewClient(secondUrl, settings)),
    ];
    // Approved before its publisher turned hostile; never fetched since, so it is due first.
    const deep = await t.db.client.create({ data: { environmentId, clientId: deepUrl, status: "APPROVED", metadata: { client_id: deepUrl } } });
    const later = new Date(Date.now() + 24 * 60 * 60_000);

    expect(await recheckDueClients(t.db, settings, { now: later })).toEqual({ checked: 3, changed: 0, backToReview: 0, failed: 1 });
    for (const client of good) expect((await t.db.client.findUniqueOrThrow({ where: { id: client.id } })).fetchedAt).toEqual(later);
    expect(await t.db.client.findUniqueOrThrow({ where: { id: deep.id } })).toMatchObject({ status: "APPROVED", metadata: { client_id: deepUrl }, fetchedAt: null });
    const failure = await t.db.auditEvent.findFirstOrThrow({ where: { action: "client.recheck_failed" } });
    expect(failure).toMatchObject({ target: `client:${deepUrl}`, reason: expect.stringContaining(`nested deeper than ${MAX_JSON_DEPTH} levels`) });
  });
});
