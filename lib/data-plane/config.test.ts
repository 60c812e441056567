import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { compactVerify, createLocalJWKSet } from "jose";
import { afterEach, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { canonicalJson, sha256Hex } from "@/sdk/src/contract/canonical-json";
import { ConfigDocumentSchema } from "@/sdk/src/contract/config-document";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import type { Db } from "@/lib/db/client";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { serveDataPlane } from "./testing";

const encryptionKey = encryptionKeyFrom("data-plane test encryption key, long enough");

/** Counts every call the data plane makes on the database client. */
function counting(db: Db) {
  let calls = 0;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value === "function") return (...args: unknown[]) => (calls++, (value as (...a: unknown[]) => unknown).apply(object, args));
        if (value && typeof value === "object" && typeof property === "string" && !property.startsWith("_")) return wrap(value);
        return value;
      },
    });
  return { db: wrap(db), calls: () => calls, reset: () => (calls = 0) };
}

describeEachDatabase("GET /api/v1/config", (t) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  async function setup() {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const actor = { id: admin.id, email: admin.email };
    const sales = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const hr = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "hr", resourceUri: "https://hr.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: sales.id, name: "read_orders" } });
    await t.db.tool.create({ data: { serverId: hr.id, name: "read_salaries" } });
    await ensureSigningKey(t.db, encryptionKey);
    const signer = await loadSigner(t.db, encryptionKey);
    await publishConfig(t.db, actor, environment.id, {}, signer);
    const salesKey = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales", serverId: sales.id }));
    const envKey = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "all" }));
    const devKey = await createApiKey(t.db, actor, (await t.db.environment.findUniqueOrThrow({ where: { key: "dev" } })).id, CreateApiKeySchema.parse({ label: "dev" }));

    const counter = counting(t.db);
    const served = await serveDataPlane({ db: () => counter.db, signer: () => loadSigner(t.db, encryptionKey) });
    close = served.close;
    const plane = served.plane;
    const get = (path: string, token?: string, headers: Record<string, string> = {}) => served.call(path, { token, headers });
    /** The raw bytes and headers, as they crossed the wire (fetch would decode them). */
    const raw = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = request(`${served.base}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.end();
      });
    return { environment, actor, signer, plane, counter, get, raw, salesKey: salesKey.token, envKey: envKey.token, devKey: devKey.token };
  }

  it("sends the same signed document compressed with br or gzip when asked, and identity otherwise", async () => {
    const { raw, salesKey } = await setup();
    const auth = { authorization: `Bearer ${salesKey}` };
    const plain = await raw("/api/v1/config", auth);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers.vary).toBe("Accept-Encoding");
    const document = plain.body.toString("utf8");

    const br = await raw("/api/v1/config", { ...auth, "accept-encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString("utf8")).toBe(document);
    expect(br.body.length).toBeLessThan(plain.body.length);
    expect(br.headers.etag).toBe(plain.headers.etag);

    const gzip = await raw("/api/v1/config", { ...auth, "accept-encoding": "gzip" });
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzip.body).toString("utf8")).toBe(document);

    // q-values: the client's preference wins, and q=0 refuses a coding.
    expect((await raw("/api/v1/config", { ...auth, "accept-encoding": "br;q=0.5, gzip;q=0.9" })).headers["content-encoding"]).toBe("gzip");
    expect((await raw("/api/v1/config", { ...auth, "accept-encoding": "br;q=0, gzip;q=0" })).headers["content-encoding"]).toBeUndefined();
    expect((await raw("/api/v1/config", { ...auth, "accept-encoding": "*;q=0.1, br;q=0" })).headers["content-encoding"]).toBe("gzip");
    const unknown = await raw("/api/v1/config", { ...auth, "accept-encoding": "zstd, compress" });
    expect(unknown.headers["content-encoding"]).toBeUndefined();
    expect(unknown.body.toString("utf8")).toBe(document);

    const notModified = await raw("/api/v1/config", { ...auth, "accept-encoding": "br, gzip", "if-none-match": String(plain.headers.etag) });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(notModified.headers.vary).toBe("Accept-Encoding");
  });

  it("serves the server's slice of the live config, signed, with a content hash the receiver can recompute", async () => {
    const { get, salesKey } = await setup();
    const response = await get("/api/v1/config", salesKey);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, no-cache");
    const body = await response.json();
    expect(body).toMatchObject({ schemaVersion: 1, environment: "prod", server: "sales", version: 1 });
    // Exactly the shape an SDK verifies against: the schema both sides import.
    expect(ConfigDocumentSchema.safeParse(body).error).toBeUndefined();
    expect(body.config.policy.tools.map((tool: { name: string }) => tool.name)).toEqual(["read_orders"]);
    expect(body.config.servers.map((entry: { name: string }) => entry.name)).toEqual(["sales"]);
    expect(body.contentHash).toBe(`sha256:${sha256Hex(canonicalJson(body.config))}`);
    expect(response.headers.get("etag")).toMatch(new RegExp(`^"${body.contentHash}:1:\\d+"$`));

    const jwks = await (await get("/api/v1/keys", salesKey)).json();
    const { payload } = await compactVerify(body.signature, createLocalJWKSet(jwks));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
      environment: "prod",
      server: "sales",
      version: 1,
      contentHash: body.contentHash,
      issuedAt: body.issuedAt,
      expiresAt: body.expiresAt,
    });
  });

  it("answers an unchanged config with 304 without touching the database", async () => {
    const { get, salesKey, counter } = await setup();
    const first = await get("/api/v1/config", salesKey, { "x-instance-id": "pod-1", "x-applied-version": "1" });
    const etag = first.headers.get("etag")!;
    counter.reset();
    for (let poll = 0; poll < 5; poll++) {
      const response = await get("/api/v1/config", salesKey, { "if-none-match": etag, "x-instance-id": "pod-1", "x-applied-version": "1" });
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
    }
    expect(counter.calls()).toBe(0);
  });

  it("hands out a new version once it is published, and records which instance applied what", async () => {
    const { get, envKey, plane, environment, actor, signer } = await setup();
    const first = await get("/api/v1/config", envKey, { "x-instance-id": "pod-7", "x-applied-version": "1", "x-sdk-version": "0.1.0" });
    expect((await first.json()).server).toBeNull();
    await t.db.tool.updateMany({ where: { name: "read_orders" }, data: { enabled: false } });
    await publishConfig(t.db, actor, environment.id, { note: "disable read_orders" }, signer);
    await plane.refresh();
    const second = await get("/api/v1/config", envKey, { "if-none-match": first.headers.get("etag")! });
    expect(second.status).toBe(200);
    expect((await second.json()).version).toBe(2);

    await plane.flushInstanceReports();
    expect(await t.db.serverInstance.findFirst()).toMatchObject({ instanceId: "pod-7", appliedVersion: 1, sdkVersion: "0.1.0" });
  });

  it("says 401 without a valid key, 403 for another server's config, 404 when nothing is published", async () => {
    const { get, salesKey, envKey, devKey } = await setup();
    expect((await get("/api/v1/config")).status).toBe(401);
    expect((await get("/api/v1/config", `${salesKey.slice(0, -1)}x`)).status).toBe(401);
    const other = await get("/api/v1/config?server=hr", salesKey);
    expect(other.status).toBe(403);
    expect((await other.json()).error).toBe("This API key belongs to server sales, not hr.");
    expect((await (await get("/api/v1/config?server=hr", envKey)).json()).server).toBe("hr");
    expect((await get("/api/v1/config?server=nope", envKey)).status).toBe(404);
    const unpublished = await get("/api/v1/config", devKey);
    expect(unpublished.status).toBe(404);
    expect((await unpublished.json()).error).toMatch(/Nothing is published in dev yet/);
  });

  it("rate-limits per key with 429 and Retry-After, at the environment's limit, picked up by the refresh tick", async () => {
    const { get, salesKey, envKey, plane, environment } = await setup();
    await t.db.environment.update({ where: { id: environment.id }, data: { apiKeyRatePerSecond: 1, apiKeyRateBurst: 2 } });
    await plane.refresh();
    expect((await get("/api/v1/config", salesKey)).status).toBe(200);
    expect((await get("/api/v1/config", salesKey)).status).toBe(200);
    const limited = await get("/api/v1/config", salesKey);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another key has its own budget.
    expect((await get("/api/v1/config", envKey)).status).toBe(200);
  });

  it("lets 2,000 instances sharing one key poll at the SDK's cadence with the default limits", async () => {
    const { get, salesKey } = await setup();
    const etag = (await get("/api/v1/config", salesKey)).headers.get("etag")!;
    // The fleet restarting at once: every instance polls within the SDK's first-poll jitter, far faster than its steady 10-20 s.
    const statuses = new Map<number, number>();
    for (let wave = 0; wave < 20; wave++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => get("/api/v1/config", salesKey, { "if-none-match": etag })));
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 304: 2_000 });
  });
});
