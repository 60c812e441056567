import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { Db } from "@/lib/db/client";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { MAX_JSON_DEPTH } from "@/lib/input/rules";
import { startHttpsFixture } from "@/lib/clients/testing/fixture-server";

// The preview action is called as the review form calls it, with an ADMIN
// session and the test's database behind getDb. The fetcher trusts the
// loopback fixture through its test-only setting, read from the environment
// as in a real test deployment.
const session = vi.hoisted(() => ({ role: "ADMIN" as const, db: null as unknown }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
vi.mock("@/lib/db/client", async (importOriginal) => ({ ...(await importOriginal<typeof import("@/lib/db/client")>()), getDb: () => session.db as Db }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));
// Outside a request there are no headers; the action reads them for the audit actor.
vi.mock("next/headers", () => ({ headers: async () => new Headers() }));
const { previewClientAction } = await import("@/actions/clients");

let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
const previousCaFile = process.env.WARDEN_TEST_FETCH_CA_FILE;
beforeAll(async () => {
  process.env.WARDEN_TEST_FETCH_CA_FILE = fileURLToPath(new URL("../lib/clients/testing/ca.pem", import.meta.url));
  fixture = await startHttpsFixture({
    // Under the 5 KB cap, nested far deeper than a recursive walk survives.
    "/deep/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(`{"client_id":"${fixture.origin}/deep/client.json","x":${"[".repeat(2_450)}${"]".repeat(2_450)}}`),
  });
});
afterAll(async () => {
  if (previousCaFile === undefined) delete process.env.WARDEN_TEST_FETCH_CA_FILE;
  else process.env.WARDEN_TEST_FETCH_CA_FILE = previousCaFile;
  await fixture?.close();
});

describeEachDatabase("the preview action", (t) => {
  it(`shows a document nested deeper than ${MAX_JSON_DEPTH} levels as a fetch error naming the depth rule, not as a failure of Warden`, async () => {
    session.db = t.db;
    await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const result = await previewClientAction({ environment: "dev", clientId: `${fixture.origin}/deep/client.json` });
    expect(result).toMatchObject({
      ok: true,
      data: { fetched: false, fetchError: { code: "json_too_deep", message: expect.stringContaining(`nested deeper than ${MAX_JSON_DEPTH} levels`) } },
    });
  });
});
