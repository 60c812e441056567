import { afterAll, beforeAll, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema, revokeApiKey } from "@/lib/api-keys/api-keys";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createScratchDatabase, type ScratchDatabase } from "@/lib/db/testing";
import { serveDataPlane } from "./testing";

// Two data-plane instances on one PostgreSQL, each with its own memory and
// its production revision tick (1 s), as they run behind a load balancer.

const encryptionKey = encryptionKeyFrom("revocation test encryption key, long enough");
let scratch: ScratchDatabase;
const clients: Db[] = [];
const planes: Awaited<ReturnType<typeof serveDataPlane>>[] = [];

beforeAll(async () => {
  scratch = await createScratchDatabase();
  await applyPendingMigrations(scratch.url);
});

afterAll(async () => {
  for (const plane of planes) await plane.close();
  for (const db of clients) await db.$disconnect();
  await scratch?.drop();
});

it("refuses a revoked key on every instance within two seconds", async () => {
  const db = createDb(scratch.url, 2);
  clients.push(db);
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  await ensureSigningKey(db, encryptionKey);
  await publishConfig(db, actor, environment.id, {}, await loadSigner(db, encryptionKey));
  const key = await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "fleet" }));
  for (let instance = 0; instance < 2; instance++) {
    const own = createDb(scratch.url, 2);
    clients.push(own);
    planes.push(await serveDataPlane({ db: () => own, signer: () => loadSigner(own, encryptionKey), refreshMs: 1_000 }));
  }
  for (const plane of planes) expect((await plane.call("/api/v1/config", { token: key.token })).status).toBe(200);

  await revokeApiKey(db, actor, environment.id, { id: key.id });
  const revokedAt = Date.now();
  // Bounded polling, not a timing assertion: each instance must refuse within the bound.
  for (const plane of planes) {
    await expect
      .poll(async () => (await plane.call("/api/v1/config", { token: key.token })).status, { timeout: 2_000 - (Date.now() - revokedAt), interval: 50 })
      .toBe(401);
  }
  for (const plane of planes) expect(await (await plane.call("/api/v1/config", { token: key.token })).json()).toEqual({ error: "This API key was revoked." });
});
