import { afterAll, beforeAll, expect, it } from "vitest";
import { createApiKey, createApiKeyVerifier, CreateApiKeySchema, KEY_OUTAGE_GRACE_MS, revokeApiKey } from "@/lib/api-keys/api-keys";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { startPartitionProxy } from "@/lib/db/partition-proxy";
import { createScratchDatabase, type ScratchDatabase } from "@/lib/db/testing";

// The verifier reaches a real PostgreSQL through a TCP proxy that stands in
// for a network partition or a stopped database: cut() drops and refuses its
// connections while the database itself stays up for the other tests.

let scratch: ScratchDatabase;
let proxy: Awaited<ReturnType<typeof startPartitionProxy>>;
let direct: Db;
let throughProxy: Db;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  await applyPendingMigrations(scratch.url);
  direct = createDb(scratch.url, 2);
  proxy = await startPartitionProxy(scratch.url);
  throughProxy = createDb(proxy.url, 2);
});

afterAll(async () => {
  await throughProxy?.$disconnect().catch(() => undefined);
  await direct?.$disconnect();
  await proxy?.close();
  await scratch?.drop();
});

it("keeps verified keys working from memory through an outage, for a bounded time, and answers 503 for keys it never saw", async () => {
  const environment = await direct.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await direct.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  const seen = await createApiKey(direct, actor, environment.id, CreateApiKeySchema.parse({ label: "seen" }));
  const unseen = await createApiKey(direct, actor, environment.id, CreateApiKeySchema.parse({ label: "unseen" }));
  const revoked = await createApiKey(direct, actor, environment.id, CreateApiKeySchema.parse({ label: "revoked" }));
  let clock = Date.now();
  const verify = createApiKeyVerifier(throughProxy, { now: () => clock });
  expect((await verify(`Bearer ${seen.token}`)).ok).toBe(true);
  expect((await verify(`Bearer ${revoked.token}`)).ok).toBe(true);
  await revokeApiKey(direct, actor, environment.id, { id: revoked.id });
  await verify.refresh();

  proxy.cut();
  await expect(verify.refresh()).rejects.toThrow();
  // Past the point where a key is normally re-read, the database cannot be asked: memory answers.
  clock += 5 * 60_000;
  expect(await verify(`Bearer ${seen.token}`)).toMatchObject({ ok: true, key: { label: "seen" } });
  expect(await verify(`Bearer ${revoked.token}`)).toEqual({ ok: false, status: 401, error: "This API key was revoked." });
  expect(await verify(`Bearer ${seen.token.slice(0, -2)}xx`)).toEqual({ ok: false, status: 401, error: "Unknown API key." });
  expect(await verify(`Bearer ${unseen.token}`)).toMatchObject({ ok: false, status: 503, retryAfterSeconds: expect.any(Number) });

  clock += KEY_OUTAGE_GRACE_MS;
  expect(await verify(`Bearer ${seen.token}`)).toMatchObject({ ok: false, status: 503 });

  proxy.heal();
  expect((await verify(`Bearer ${seen.token}`)).ok).toBe(true);
  expect((await verify(`Bearer ${unseen.token}`)).ok).toBe(true);
});
