import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { contentDigest } from "../src/contract/canonical-json.ts";
import { WardenClient, type ConfigRefusal, type WardenClientOptions } from "../src/client";
import { SDK_VERSION } from "../src/version";
import sdkPackage from "../package.json";
import { AGENT, startWardenFixture, type WardenFixture } from "./warden-fixture";

const silent = { info() {}, warn() {}, error() {} };
const analyst = { sub: "user-1", groups: ["sales-analysts"], scope: "tools:sales.read" };

let warden: WardenFixture;
let dir: string | undefined;
const clients: WardenClient[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  warden = await startWardenFixture();
});
afterAll(async () => {
  await warden.close();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function client(options: Partial<WardenClientOptions> = {}) {
  dir ??= await mkdtemp(join(tmpdir(), "warden-sdk-"));
  const instance = new WardenClient({ url: warden.base, apiKey: warden.apiKey, jwks: warden.jwks, logger: silent, ...options });
  clients.push(instance);
  return instance;
}

/** A stand-in upstream that serves whatever document the test sets: how a tampered feed would look. */
async function upstream(body: () => string) {
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json", etag: `"x${Math.random()}"` }).end(body()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function liveDocument() {
  const response = await warden.plane.call("/api/v1/config", { token: warden.apiKey });
  return (await response.json()) as Record<string, unknown> & { config: { policy: { grants: unknown[] } }; signature: string; version: number };
}

describe("WardenClient against a real data plane", () => {
  it("denies everything before the first verified config, then decides with the contract's decide()", async () => {
    const sdk = await client();
    expect(sdk.authorize(analyst, AGENT, "get_invoice")).toMatchObject({ decision: "deny", reason: "no_verified_config", configVersion: null });
    expect(await sdk.pollNow()).toEqual({ kind: "applied", version: 1 });
    expect(sdk.authorize(analyst, AGENT, "get_invoice")).toMatchObject({ decision: "allow", reason: "allowed_by_grant", configVersion: 1 });
    expect(sdk.authorize(analyst, AGENT, "refund_payment")).toMatchObject({ decision: "deny", reason: "no_grant" });
    expect(sdk.authorize({ ...analyst, scope: "" }, AGENT, "get_invoice")).toMatchObject({ decision: "deny", reason: "missing_scope", missingScopes: ["tools:sales.read"] });
    expect(sdk.authorize(analyst, "https://stranger.example/client.json", "get_invoice")).toMatchObject({ decision: "deny", reason: "unknown_client" });
  });

  it("returns with each decision the inputs that decide it again: scopes, and only the claims a role mapping reads", async () => {
    const sdk = await client();
    await sdk.pollNow();
    const decision = sdk.authorize({ ...analyst, email: "alice@example.com", groups: ["sales-analysts", "sales-analysts"] }, AGENT, "get_invoice");
    expect(decision.inputs).toEqual({ scopes: ["tools:sales.read"], roles: [], claims: { groups: ["sales-analysts"] } });
    // Before a config, nothing names the claims to keep, and nothing is recorded.
    expect((await client()).authorize(analyst, AGENT, "get_invoice").inputs).toBeUndefined();
  });

  it("polls with If-None-Match, X-Instance-Id, X-Applied-Version and X-SDK-Version, and gets 304 when nothing changed", async () => {
    const seen: Record<string, string | undefined>[] = [];
    const sdk = await client({
      instanceId: "pod-a",
      fetch: async (input, init) => {
        seen.push({ ...(init?.headers as Record<string, string>) });
        return fetch(input, init);
      },
    });
    await sdk.pollNow();
    expect(await sdk.pollNow()).toEqual({ kind: "unchanged" });
    expect(seen[0]).toMatchObject({ "x-instance-id": "pod-a", "x-sdk-version": SDK_VERSION });
    expect(seen[0]).not.toHaveProperty("if-none-match");
    expect(seen[1]).toMatchObject({ "x-applied-version": "1", "if-none-match": expect.stringMatching(/^"sha256:[0-9a-f]{64}:1:\d+"$/) });
    expect(SDK_VERSION).toBe(sdkPackage.version);
  });

  it("asks for a compressed config and applies it: br from the data plane, decoded by fetch", async () => {
    const encodings: (string | null)[] = [];
    const sdk = await client({
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        encodings.push(response.headers.get("content-encoding"));
        return response;
      },
    });
    expect(await sdk.pollNow()).toEqual({ kind: "applied", version: 1 });
    expect(encodings).toEqual(["br"]);
    expect(sdk.authorize(analyst, AGENT, "get_invoice")).toMatchObject({ decision: "allow" });
  });

  it("applies a newly published version, and the revoked grant is denied", async () => {
    const sdk = await client();
    await sdk.pollNow();
    const version = await warden.publish((db) => db.grant.deleteMany({ where: { toolId: warden.tools.getInvoice.id } }), "revoke");
    expect(await sdk.pollNow()).toEqual({ kind: "applied", version });
    expect(sdk.authorize(analyst, AGENT, "get_invoice")).toMatchObject({ decision: "deny", reason: "no_grant", configVersion: version });
    await warden.publish((db) => db.grant.create({ data: { roleId: warden.analyst.id, toolId: warden.tools.getInvoice.id, requiredScopes: ["tools:sales.read"] } }), "restore");
  });

  it("persists the last known good config atomically and serves it after a restart with Warden unreachable", async () => {
    const stateFile = join((dir ??= await mkdtemp(join(tmpdir(), "warden-sdk-"))), "warden-state.json");
    const first = await client({ stateFile });
    await first.pollNow();
    first.close();
    const stored = JSON.parse(await readFile(stateFile, "utf8"));
    expect(stored).toMatchObject({ format: 1, etag: expect.any(String) });
    expect((await readdir(dir!)).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    const offline = await client({ stateFile, url: "http://127.0.0.1:9" });
    await offline.start();
    expect(offline.version).toBe(first.version);
    expect(offline.authorize(analyst, AGENT, "get_invoice").decision).toBe("allow");
    expect(await offline.pollNow()).toMatchObject({ kind: "retry" });
    expect(offline.authorize(analyst, AGENT, "get_invoice").decision).toBe("allow");
  });

  it("refuses a tampered state file and stays deny-by-default", async () => {
    const stateFile = join((dir ??= await mkdtemp(join(tmpdir(), "warden-sdk-"))), "tampered-state.json");
    const document = await liveDocument();
    document.config.policy.grants.push({ role: "analyst", server: "sales-mcp", tool: "refund_payment", requiredScopes: [] });
    await writeFile(stateFile, JSON.stringify({ format: 1, etag: null, document: JSON.stringify(document) }));
    const refusals: ConfigRefusal[] = [];
    const sdk = await client({ stateFile, url: "http://127.0.0.1:9", onConfigRefused: (refusal) => refusals.push(refusal) });
    await sdk.start();
    expect(refusals).toEqual([expect.objectContaining({ reason: "content_hash_mismatch", source: "state-file" })]);
    expect(sdk.authorize(analyst, AGENT, "get_invoice").reason).toBe("no_verified_config");
  });

  describe("refuses a config that fails a check, keeping the one in force", () => {
    async function appliedThenServed(mutate: (document: Awaited<ReturnType<typeof liveDocument>>) => unknown, options: Partial<WardenClientOptions> = {}) {
      const good = await liveDocument();
      let next = JSON.stringify(good);
      const refusals: ConfigRefusal[] = [];
      const sdk = await client({ url: await upstream(() => next), onConfigRefused: (refusal) => refusals.push(refusal), ...options });
      expect(await sdk.pollNow()).toMatchObject({ kind: "applied" });
      const before = sdk.config!;
      const bad = structuredClone(good);
      const replaced = mutate(bad);
      next = typeof replaced === "string" ? replaced : JSON.stringify(bad);
      const outcome = await sdk.pollNow();
      expect(outcome.kind).toBe("refused");
      expect(sdk.config).toBe(before);
      expect(sdk.authorize(analyst, AGENT, "get_invoice").decision).toBe("allow");
      expect(sdk.authorize(analyst, AGENT, "refund_payment").decision).toBe("deny");
      return refusals;
    }

    it("a tampered signature", async () => {
      const refusals = await appliedThenServed((document) => {
        const [header, payload, signature] = document.signature.split(".");
        document.signature = `${header}.${payload}.${signature!.startsWith("A") ? "B" : "A"}${signature!.slice(1)}`;
      });
      expect(refusals[0]).toMatchObject({ reason: "bad_signature", source: "poll" });
    });

    it("a signature Warden made for something else: the record of a publication, by the same key", async () => {
      const record = await warden.db.configVersion.findFirstOrThrow({ where: { environmentId: warden.environment.id }, orderBy: { version: "desc" } });
      const refusals = await appliedThenServed((document) => {
        document.signature = record.signature;
      });
      expect(refusals[0]).toMatchObject({ reason: "bad_signature", message: expect.stringContaining("warden-publication+jws") });
    });

    it("content that does not match the signed hash", async () => {
      const refusals = await appliedThenServed((document) => {
        document.config.policy.grants.push({ role: "analyst", server: "sales-mcp", tool: "refund_payment", requiredScopes: [] });
      });
      expect(refusals[0]).toMatchObject({ reason: "content_hash_mismatch" });
    });

    it("a rewritten content hash that the signature does not cover", async () => {
      const refusals = await appliedThenServed((document) => {
        document.config.policy.grants.push({ role: "analyst", server: "sales-mcp", tool: "refund_payment", requiredScopes: [] });
        document.contentHash = contentDigest(document.config);
      });
      expect(refusals[0]).toMatchObject({ reason: "claims_mismatch" });
    });

    it("an older version, properly signed", async () => {
      const old = await liveDocument();
      const version = await warden.publish((db) => db.scope.create({ data: { environmentId: warden.environment.id, name: `tools:extra.${Date.now()}` } }));
      const refusals = await appliedThenServed(() => JSON.stringify(old));
      expect(refusals[0]).toMatchObject({ reason: "version_rollback", version: old.version });
      expect(version).toBeGreaterThan(old.version);
    });

    it("an expired signature", async () => {
      let offset = 0;
      const refusals = await appliedThenServed(
        () => {
          offset = 3 * 24 * 60 * 60_000;
        },
        { now: () => Date.now() + offset },
      );
      expect(refusals[0]).toMatchObject({ reason: "expired" });
    });

    it("a signature by a key that is not pinned", async () => {
      const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const stranger = { keys: [{ ...(await exportJWK(publicKey)), kid: "someone-else", alg: "EdDSA" }] };
      const refusals: ConfigRefusal[] = [];
      const sdk = await client({ jwks: stranger, onConfigRefused: (refusal) => refusals.push(refusal) });
      expect(await sdk.pollNow()).toMatchObject({ kind: "refused" });
      expect(refusals[0]).toMatchObject({ reason: "unknown_key" });
      expect(sdk.authorize(analyst, AGENT, "get_invoice").reason).toBe("no_verified_config");
    });
  });

  it("fetches the key set only when the operator allows it", async () => {
    expect(() => new WardenClient({ url: warden.base, apiKey: warden.apiKey })).toThrow(/Pin Warden's public keys/);
    const sdk = await client({ jwks: undefined, allowKeyRefresh: true });
    expect(await sdk.pollNow()).toMatchObject({ kind: "applied" });
  });

  it("logs loudly and keeps the last known good config when the API key is refused", async () => {
    const errors: string[] = [];
    const sdk = await client({ logger: { ...silent, error: (message) => errors.push(message) } });
    await sdk.pollNow();
    const revoked = new WardenClient({ url: warden.base, apiKey: `${warden.apiKey.slice(0, -2)}xx`, jwks: warden.jwks, logger: { ...silent, error: (message) => errors.push(message) } });
    clients.push(revoked);
    const outcome = await revoked.pollNow();
    expect(outcome).toEqual({ kind: "unauthorized", status: 401 });
    expect(revoked.delayAfter(outcome)).toBe(5 * 60_000);
    expect(errors.join("\n")).toMatch(/refused this server's API key \(HTTP 401\)/);
  });
});
