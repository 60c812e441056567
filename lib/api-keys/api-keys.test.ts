import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/db/client";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { createApiKey, createApiKeyVerifier, CreateApiKeySchema, listApiKeys, parseApiKey, revokeApiKey } from "./api-keys";

describe("API key format", () => {
  it("reads wdn_<env>_<selector>_<secret>, where the secret may itself contain underscores", () => {
    const secret = "abc_def-ghi_jkl-mno_pqr-stu_vwx-yz0_123";
    expect(parseApiKey(`wdn_prod_AbCdEfGh2345_${secret}`)).toEqual({ environment: "prod", selector: "AbCdEfGh2345", secret });
  });

  it.each(["", "wdn_prod_sel", "xyz_prod_AbCdEfGh2345_" + "s".repeat(43), "wdn_PROD_AbCdEfGh2345_" + "s".repeat(43), "wdn_prod_ab_" + "s".repeat(43), "wdn_prod_AbCdEfGh2345_short"])(
    "refuses %j",
    (token) => expect(parseApiKey(token)).toBeNull(),
  );
});

describeEachDatabase("API keys", (t) => {
  const setup = async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    return { environment, server, actor: { id: admin.id, email: admin.email } };
  };

  it("shows the key once and stores only its selector and a verifier", async () => {
    const { environment, server, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales prod", serverId: server.id }));
    expect(created.token).toMatch(/^wdn_prod_[A-Za-z0-9]{12}_[\w-]{43}$/);
    const row = await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    const secret = created.token.split("_").slice(3).join("_");
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.verifier).toMatch(/^[0-9a-f]{64}$/);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "api_key.created" } });
    expect(JSON.stringify({ ...event, seq: String(event.seq) })).not.toContain(secret);
    expect((await listApiKeys(t.db, environment.id))[0]).toMatchObject({ label: "sales prod", server: "sales", status: "active" });
  });

  it("looks a key up once for a whole fleet's simultaneous first requests", async () => {
    const { environment, server, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "fleet", serverId: server.id }));
    let lookups = 0;
    // The real database, with the key lookups counted on their way through.
    const counted = t.db.$extends({ query: { apiKey: { findUnique: ({ args, query }) => (lookups++, query(args)) } } }) as unknown as Db;
    const verify = createApiKeyVerifier(counted);
    const checks = await Promise.all(Array.from({ length: 500 }, () => verify(`Bearer ${created.token}`)));
    expect(checks.every((check) => check.ok)).toBe(true);
    expect(lookups).toBe(1);
  });

  it("accepts the key, and refuses a wrong secret, another environment's prefix, or no key, all as 401", async () => {
    const { environment, server, actor } = await setup();
    const { token } = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k", serverId: server.id }));
    const verify = createApiKeyVerifier(t.db);
    expect(await verify(`Bearer ${token}`)).toMatchObject({ ok: true, key: { environmentKey: "prod", serverName: "sales" } });
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    expect(await verify(`Bearer ${tampered}`)).toEqual({ ok: false, status: 401, error: "Unknown API key." });
    expect(await verify(`Bearer ${token.replace("wdn_prod_", "wdn_dev_")}`)).toMatchObject({ ok: false, status: 401 });
    expect(await verify(undefined)).toMatchObject({ ok: false, status: 401, error: expect.stringContaining("Authorization: Bearer") });
    expect(await verify("Bearer nonsense")).toMatchObject({ ok: false, error: "This is not a Warden API key." });
  });

  it("refuses a revoked key on every instance from its next refresh (the data plane's 1 s tick)", async () => {
    const { environment, server, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k", serverId: server.id }));
    const instances = [createApiKeyVerifier(t.db), createApiKeyVerifier(t.db)];
    for (const verify of instances) expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    await revokeApiKey(t.db, actor, environment.id, { id: created.id });
    for (const verify of instances) {
      await verify.refresh();
      expect(await verify(`Bearer ${created.token}`)).toEqual({ ok: false, status: 401, error: "This API key was revoked." });
    }
    expect(await t.db.auditEvent.count({ where: { action: "api_key.revoked" } })).toBe(1);
  });

  it("forgets a deleted key at the next refresh", async () => {
    const { environment, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k" }));
    const verify = createApiKeyVerifier(t.db);
    expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    await t.db.apiKey.delete({ where: { id: created.id } });
    await verify.refresh();
    expect(await verify(`Bearer ${created.token}`)).toEqual({ ok: false, status: 401, error: "Unknown API key." });
  });

  it("refuses a key the moment it expires, from memory", async () => {
    const { environment, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k", expiresInDays: 1 }));
    const expiresAt = (await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).expiresAt!.getTime();
    let clock = expiresAt - 1_000;
    const verify = createApiKeyVerifier(t.db, { now: () => clock });
    expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    clock = expiresAt;
    expect(await verify(`Bearer ${created.token}`)).toEqual({ ok: false, status: 401, error: "This API key has expired." });
  });

  it("writes lastUsedAt for keys in use once a minute from the refresh, not per request", async () => {
    const { environment, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k" }));
    let clock = Date.now();
    const verify = createApiKeyVerifier(t.db, { now: () => clock });
    expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    await expect.poll(async () => (await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    await t.db.apiKey.update({ where: { id: created.id }, data: { lastUsedAt: null } });
    clock += 30_000;
    expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    await verify.refresh();
    expect((await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).toBeNull();
    clock += 31_000;
    await verify.refresh();
    expect((await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt?.getTime()).toBe(clock);
  });

  it("refuses an expired key and records when a key was last used", async () => {
    const { environment, actor } = await setup();
    const created = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "k", expiresInDays: 1 }));
    let clock = Date.now();
    const verify = createApiKeyVerifier(t.db, { now: () => clock });
    expect((await verify(`Bearer ${created.token}`)).ok).toBe(true);
    await expect.poll(async () => (await t.db.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    clock += 2 * 86_400_000;
    expect(await verify(`Bearer ${created.token}`)).toEqual({ ok: false, status: 401, error: "This API key has expired." });
  });

  it("allows two active keys per server for rotation, not three", async () => {
    const { environment, server, actor } = await setup();
    const input = CreateApiKeySchema.parse({ label: "k", serverId: server.id });
    const first = await createApiKey(t.db, actor, environment.id, input);
    await createApiKey(t.db, actor, environment.id, input);
    await expect(createApiKey(t.db, actor, environment.id, input)).rejects.toThrow(/already has two active keys/);
    await revokeApiKey(t.db, actor, environment.id, { id: first.id });
    await expect(createApiKey(t.db, actor, environment.id, input)).resolves.toBeTruthy();
  });

  it("refuses a server from another environment", async () => {
    const { server, actor } = await setup();
    const dev = await t.db.environment.findUniqueOrThrow({ where: { key: "dev" } });
    await expect(createApiKey(t.db, actor, dev.id, CreateApiKeySchema.parse({ label: "k", serverId: server.id }))).rejects.toThrow(/not in this environment/);
    expect(await t.db.apiKey.count()).toBe(0);
  });
});
