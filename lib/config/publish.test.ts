import { compactVerify, createLocalJWKSet } from "jose";
import { expect, it } from "vitest";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError } from "@/lib/errors";
import { CONFIG_SIGNATURE_TYPE } from "@/sdk/src/contract/config-document";
import { draftStatus, liveVersion, PUBLICATION_SIGNATURE_TYPE, publishConfig, rollbackConfig } from "./publish";
import { ensureSigningKey, loadSigner, publicJwks, rotateSigningKey } from "./signing-keys";

const encryptionKey = encryptionKeyFrom("test-only encryption key, 32+ characters long");

describeEachDatabase("publishing config", (t) => {
  const seed = async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({
      data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" },
    });
    const readTool = await t.db.tool.create({ data: { serverId: server.id, name: "read_orders" } });
    const refund = await t.db.tool.create({ data: { serverId: server.id, name: "refund", enabled: false } });
    // Reported by a server but never approved: must stay out.
    const poisoned = await t.db.tool.create({ data: { serverId: server.id, name: "export_all", definitionHash: "sha256:new", approvedHash: null } });
    const role = await t.db.role.create({ data: { environmentId: environment.id, name: "sales", claimValue: "sales" } });
    for (const tool of [readTool, refund, poisoned]) await t.db.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: ["tools:read"] } });
    await t.db.client.create({ data: { environmentId: environment.id, clientId: "https://vscode.dev/oauth/client-metadata.json", status: "APPROVED" } });
    await t.db.client.create({ data: { environmentId: environment.id, clientId: "https://pending.example/client.json", status: "PENDING" } });
    await ensureSigningKey(t.db, encryptionKey);
    return { environment, actor: { id: admin.id, email: admin.email }, signer: await loadSigner(t.db, encryptionKey), readTool };
  };

  it("publishes only approved clients, enabled approved tools and their grants, signed with a key from the key set", async () => {
    const { environment, actor, signer } = await seed();
    const version = await publishConfig(t.db, actor, environment.id, { note: "first" }, signer);
    expect(version).toMatchObject({ version: 1, note: "first", keyId: signer.kid });
    const snapshot = version.snapshot as { policy: { tools: { name: string }[]; grants: { tool: string }[]; clients: { clientId: string }[] } };
    expect(snapshot.policy.tools.map((tool) => tool.name)).toEqual(["read_orders"]);
    expect(snapshot.policy.grants.map((grant) => grant.tool)).toEqual(["read_orders"]);
    expect(snapshot.policy.clients.map((client) => client.clientId)).toEqual(["https://vscode.dev/oauth/client-metadata.json"]);

    const verified = await compactVerify(version.signature, createLocalJWKSet(await publicJwks(t.db)));
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toMatchObject({ environment: "prod", version: 1, contentHash: version.contentHash });
    // A record of the publication, not a config document: MCP servers accept only the latter's type.
    expect(verified.protectedHeader.typ).toBe(PUBLICATION_SIGNATURE_TYPE);
    expect(verified.protectedHeader.typ).not.toBe(CONFIG_SIGNATURE_TYPE);
    expect(await t.db.auditEvent.findFirst({ where: { action: "config.published" } })).toMatchObject({ environmentId: environment.id, target: "config:prod:v1" });
  });

  it("names the tools the draft enables but publishing holds back, with the grants that go with them", async () => {
    const { environment } = await seed();
    const status = await draftStatus(t.db, environment.id);
    // export_all changed since approval (never approved); refund is merely disabled, which is not "held back".
    expect(status.heldBack).toEqual([{ id: expect.any(String), serverId: expect.any(String), server: "sales", name: "export_all", reason: "changed_since_approval", grants: 1 }]);
  });

  it("refuses to publish nothing new, and tracks unpublished changes with a diff", async () => {
    const { environment, actor, signer, readTool } = await seed();
    expect((await draftStatus(t.db, environment.id)).unpublished).toBe(true);
    await publishConfig(t.db, actor, environment.id, {}, signer);
    expect(await draftStatus(t.db, environment.id)).toMatchObject({ unpublished: false, empty: true });
    await expect(publishConfig(t.db, actor, environment.id, {}, signer)).rejects.toThrow(DomainError);

    await t.db.tool.update({ where: { id: readTool.id }, data: { enabled: false } });
    const status = await draftStatus(t.db, environment.id);
    expect(status.unpublished).toBe(true);
    expect(status.diff.tools).toEqual({ added: [], removed: ["sales/read_orders"], changed: [] });
    expect(status.diff.grants.removed).toEqual(["sales → sales/read_orders"]);
  });

  it("rolls back by publishing the old content as a new, higher version", async () => {
    const { environment, actor, signer, readTool } = await seed();
    const first = await publishConfig(t.db, actor, environment.id, {}, signer);
    await t.db.tool.update({ where: { id: readTool.id }, data: { enabled: false } });
    await publishConfig(t.db, actor, environment.id, {}, signer);
    const rollback = await rollbackConfig(t.db, actor, environment.id, { toVersion: 1 }, signer);
    expect(rollback).toMatchObject({ version: 3, contentHash: first.contentHash, note: "Rollback to version 1" });
    expect(await liveVersion(t.db, environment.id)).toMatchObject({ version: 3 });
    await expect(rollbackConfig(t.db, actor, environment.id, { toVersion: 9 }, signer)).rejects.toThrow(/Version 9 no longer exists/);
  });

  it("numbers concurrent publishes without gaps or duplicates", async () => {
    const { environment, actor, signer, readTool } = await seed();
    await publishConfig(t.db, actor, environment.id, {}, signer);
    await t.db.tool.update({ where: { id: readTool.id }, data: { title: "Read orders" } });
    await t.db.role.updateMany({ data: { description: "changed" } });
    await t.db.client.updateMany({ where: { status: "APPROVED" }, data: { scopeCeiling: ["tools:read"] } });
    const results = await Promise.allSettled([publishConfig(t.db, actor, environment.id, {}, signer), publishConfig(t.db, actor, environment.id, {}, signer)]);
    // The second finds nothing new once the first has published.
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect((await t.db.configVersion.findMany({ orderBy: { version: "asc" } })).map((row) => row.version)).toEqual([1, 2]);
  });

  it("rotates the signing key with an overlap: both keys verify until the old one retires", async () => {
    const { environment, actor, signer } = await seed();
    const before = await publishConfig(t.db, actor, environment.id, {}, signer);
    const newKid = await rotateSigningKey(t.db, actor, encryptionKey, 60_000);
    expect((await loadSigner(t.db, encryptionKey)).kid).toBe(newKid);
    const keys = await publicJwks(t.db);
    expect(keys.keys.map((key) => key.kid).sort()).toEqual([signer.kid, newKid].sort());
    await expect(compactVerify(before.signature, createLocalJWKSet(keys))).resolves.toBeTruthy();
    expect((await publicJwks(t.db, new Date(Date.now() + 120_000))).keys.map((key) => key.kid)).toEqual([newKid]);
    // The private half is never stored in the clear.
    const stored = await t.db.signingKey.findMany();
    expect(stored.every((key) => key.encryptedPrivateKey.startsWith("v1.") && !key.encryptedPrivateKey.includes('"d"'))).toBe(true);
  });
});
