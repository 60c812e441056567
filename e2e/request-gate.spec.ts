import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { APIRequestContext, Page } from "@playwright/test";
import fc from "fast-check";
import { expect, test } from "./fixtures";
import { SAME_ORIGIN, WARDEN_E2E_URL } from "./support/constants";

// The request gate in front of Next (lib/http/request-gate.ts), exercised
// over HTTP against the production build: cross-site refusals, proxy headers
// a client forges, and server-action bodies Next itself would answer with 500.

type ServerAction = { id: string; name: string; path: string };

/** Every server action in the build, each with a page that serves it, read from the build's own manifest. */
function serverActions(): ServerAction[] {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { workers: Record<string, unknown>; exportedName?: string }>;
  };
  return Object.entries(manifest.node).map(([id, entry]) => {
    // "app/(admin)/[env]/roles/scopes/page" → "/dev/roles/scopes"; other ids become a well-formed unknown one.
    const worker = Object.keys(entry.workers).sort((a, b) => a.split("[").length - b.split("[").length)[0]!;
    const path = worker
      .replace(/^app/, "")
      .replace(/\/page$/, "")
      .split("/")
      .filter((segment) => segment && !/^\(.*\)$/.test(segment))
      .map((segment) => (segment === "[env]" ? "dev" : segment.startsWith("[") ? "00000000-0000-7000-8000-000000000000" : segment))
      .join("/");
    return { id, name: entry.exportedName ?? id, path: `/${path}` };
  });
}

function actionNamed(name: string): ServerAction {
  const action = serverActions().find((candidate) => candidate.name === name);
  if (!action) throw new Error(`The build has no server action named ${name}.`);
  return action;
}

/** Calls a server action the way the browser's router does; `headers` adds to or replaces its headers. */
function callAction(request: APIRequestContext, action: ServerAction, body: string | Buffer, headers: Record<string, string> = {}) {
  return request.post(action.path, {
    headers: { ...SAME_ORIGIN, "next-action": action.id, "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", ...headers },
    data: Buffer.isBuffer(body) ? body : Buffer.from(body),
    maxRedirects: 0,
  });
}

async function scopeNames(page: Page, environment: string): Promise<string[]> {
  const response = await page.request.get(`/api/policy/${environment}?format=json`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { scopes: { name: string }[] }).scopes.map((scope) => scope.name);
}

const uniqueScope = (label: string) => `gate.${label}.${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const createScopeBody = (name: string) => JSON.stringify([{ environment: "dev", name, description: "Made by a request the gate admitted" }]);

test.describe("rule: a mutating request needs a same-origin Origin or Sec-Fetch-Site: same-origin", () => {
  test("a server action without an Origin is refused with 403 and does not run", async ({ ownerPage }) => {
    const name = uniqueScope("no-origin");
    const response = await ownerPage.request.post(actionNamed("createScopeAction").path, {
      headers: { "next-action": actionNamed("createScopeAction").id, "content-type": "text/plain;charset=UTF-8" },
      data: Buffer.from(createScopeBody(name)),
    });
    expect(response.status()).toBe(403);
    expect(await response.text()).toBe(`Refused: a request that changes something needs an Origin header of ${WARDEN_E2E_URL} (browsers send it on their own).`);
    expect(await scopeNames(ownerPage, "dev")).not.toContain(name);
  });

  test("a foreign Origin with a forged X-Forwarded-Host that matches it is refused with 403", async ({ ownerPage }) => {
    const name = uniqueScope("forged-host");
    const response = await callAction(ownerPage.request, actionNamed("createScopeAction"), createScopeBody(name), {
      origin: "https://attacker.example",
      "x-forwarded-host": "attacker.example",
      "x-forwarded-proto": "https",
    });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain("comes from another site");
    expect(await scopeNames(ownerPage, "dev")).not.toContain(name);
  });

  test("the same action runs with a same-origin Origin, and with Sec-Fetch-Site: same-origin alone", async ({ ownerPage }) => {
    const withOrigin = uniqueScope("origin");
    expect((await callAction(ownerPage.request, actionNamed("createScopeAction"), createScopeBody(withOrigin))).status()).toBe(200);

    const withFetchSite = uniqueScope("fetch-site");
    const response = await ownerPage.request.post(actionNamed("createScopeAction").path, {
      headers: { "sec-fetch-site": "same-origin", "next-action": actionNamed("createScopeAction").id, "content-type": "text/plain;charset=UTF-8" },
      data: Buffer.from(createScopeBody(withFetchSite)),
    });
    expect(response.status()).toBe(200);
    expect(await scopeNames(ownerPage, "dev")).toEqual(expect.arrayContaining([withOrigin, withFetchSite]));
  });

  test("route handlers behind a session cookie follow the same rule", async ({ ownerPage }) => {
    const ask = { environment: "dev", sub: "user-1", clientId: "https://agent.example/client.json", server: "sales", tool: "read_orders", scopes: [] };
    const refused = await ownerPage.request.post("/api/v1/decisions", { data: ask });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toEqual({ error: expect.stringContaining(`needs an Origin header of ${WARDEN_E2E_URL}`) });
    expect((await ownerPage.request.post("/api/v1/decisions", { headers: SAME_ORIGIN, data: ask })).status()).toBe(200);
  });

  test("reads need no Origin", async ({ ownerPage }) => {
    expect((await ownerPage.request.get("/dev/roles/scopes")).status()).toBe(200);
  });
});

test("rule: X-Forwarded-For from a client is ignored when the proxy is not trusted", async ({ ownerPage }) => {
  const name = uniqueScope("forwarded-for");
  const response = await callAction(ownerPage.request, actionNamed("createScopeAction"), createScopeBody(name), { "x-forwarded-for": "203.0.113.77", "x-real-ip": "203.0.113.78" });
  expect(response.status()).toBe(200);

  // The audit trail records the peer's address, not the one the client claimed.
  const exported = await ownerPage.request.get(`/api/audit/dev/export?format=jsonl&action=scope.created&range=1h`);
  expect(exported.status()).toBe(200);
  const event = (await exported.text())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { ip: string | null; target?: string; details?: unknown })
    .find((row) => JSON.stringify(row).includes(name));
  expect(event, "the scope.created event of this request").toBeDefined();
  expect(event!.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
});

test.describe("rule: a malformed server-action body gets a 4xx, never Next's 500", () => {
  const cases: { label: string; body: Buffer; contentType?: string; status: number; error: string }[] = [
    { label: "empty", body: Buffer.from(""), status: 400, error: "The body is empty; send the action's arguments as JSON." },
    { label: "not JSON", body: Buffer.from("[{oops"), status: 400, error: "The body is not valid JSON." },
    { label: "not UTF-8", body: Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), status: 400, error: "The body is not valid UTF-8." },
    { label: "nested 10,000 deep", body: Buffer.from("[".repeat(10_000) + "]".repeat(10_000)), status: 400, error: "The JSON is nested deeper than 32 levels." },
    { label: "carrying U+0000", body: Buffer.from('[{"environment":"dev","name":"a\\u0000b"}]'), status: 400, error: "The JSON is not acceptable: a string at [0].name contains the character U+0000, which cannot be stored." },
    { label: "carrying a lone surrogate", body: Buffer.from('["\\udc00"]'), status: 400, error: "The JSON is not acceptable: a string at [0] is not well-formed Unicode (a lone UTF-16 surrogate)." },
    {
      label: "bad multipart",
      body: Buffer.from('--b\r\nContent-Disposition: form-data; name="0"\r\n\r\n["x"]'),
      contentType: "multipart/form-data; boundary=b",
      status: 400,
      error: "The body is not well-formed multipart/form-data.",
    },
    { label: "an unknown media type", body: Buffer.from("[]"), contentType: "application/xml", status: 415, error: "Send a server action's arguments as text/plain (JSON) or multipart/form-data." },
    { label: "over 3 MB", body: Buffer.alloc(3 * 1024 * 1024 + 1, 0x20), status: 413, error: "The request body is larger than 3 MB." },
  ];

  for (const { label, body, contentType, status, error } of cases) {
    test(`${label}: ${status}`, async ({ ownerPage }) => {
      const response = await callAction(ownerPage.request, actionNamed("createScopeAction"), body, contentType ? { "content-type": contentType } : {});
      expect(response.status()).toBe(status);
      expect(await response.text()).toBe(error);
    });
  }

  test("over 3 MB without a length (chunked): 413, answered before the connection closes", async () => {
    const action = actionNamed("createScopeAction");
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${WARDEN_E2E_URL}${action.path}`, { method: "POST", headers: { ...SAME_ORIGIN, "next-action": action.id, "content-type": "text/plain" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });
});

test.describe("server actions still work behind the gate", () => {
  test("a multipart action carrying a file reaches the action intact", async ({ ownerPage }) => {
    // The body React sends when an argument holds a file: the arguments in
    // field 0, the file as its own part. The action previews the policy text it
    // was given, so the answer shows the body reached it byte for byte.
    const action = actionNamed("previewPolicyFileAction");
    const scope = uniqueScope("multipart");
    const text = `warden: policy/v1\nenvironment: staging\nscopes:\n  - name: ${scope}\n    description: Sent as multipart\n`;
    const boundary = "----WardenGateBoundary";
    const file = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="0"\r\n\r\n${JSON.stringify([{ environment: "staging", format: "yaml", text }])}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="1_attachment"; filename="logo.png"\r\nContent-Type: image/png\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await callAction(ownerPage.request, action, body, { "content-type": `multipart/form-data; boundary=${boundary}` });
    expect(response.status()).toBe(200);
    const answer = await response.text();
    expect(answer).toContain('"kind":"plan"');
    expect(answer).toContain(scope);
  });

  test("in Chromium, a 1.5 MB policy file is previewed through a server action", async ({ ownerPage: page }) => {
    const scope = uniqueScope("large");
    const padding = Array.from({ length: 30_000 }, (_, i) => `# ${String(i).padStart(6, "0")} ${"-".repeat(40)}`).join("\n");
    const file = `warden: policy/v1\nenvironment: staging\nscopes:\n  - name: ${scope}\n    description: A large file\n${padding}\n`;
    expect(file.length).toBeGreaterThan(1_500_000);
    await page.goto("/staging/config/policy");
    await page.locator('input[type="file"]').setInputFiles({ name: "large.yaml", mimeType: "application/yaml", buffer: Buffer.from(file) });
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === "POST" && Boolean(candidate.request().headers()["next-action"])),
      page.getByRole("button", { name: "Preview import" }).click(),
    ]);
    expect(response.status()).toBe(200);
    await expect(page.getByRole("region", { name: "Import preview" })).toContainText(`add ${scope}`);
  });
});

test("property: arbitrary strings, numbers and nested JSON sent to every server action never get a 5xx", async ({ ownerPage }) => {
  test.setTimeout(240_000);
  const actions = serverActions();
  expect(actions.length).toBeGreaterThan(10);

  const nastyString = fc.constantFrom("\u0000", "a\u0000b", "\uD800", "x\uDC00", "0000-01-01T00:00:00.000Z", "$D0000-01-01T00:00:00.000Z", "$n2147483648", "$undefined", "$@1", "$Q1", "$K1", "$B1", "$F1", "$T", "$0:0", "$1:a", "$$", "", "🔑");
  const nastyNumber = fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1e308, -0, 0.5, Number.MAX_SAFE_INTEGER);
  const { json } = fc.letrec((tie) => ({
    json: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.oneof(fc.string({ unit: "binary" }), nastyString),
      fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), nastyNumber),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("json"), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom("env", "name", "id", "version", "environment")), tie("json"), { maxKeys: 4 }),
    ),
  }));
  const deep = fc.integer({ min: 30, max: 10_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth));
  const body = fc.oneof(
    json.map((value) => JSON.stringify([value])),
    json.map((value) => JSON.stringify([{ env: "dev", environment: "dev", value }])),
    fc.string({ unit: "binary" }),
    fc.oneof(fc.integer(), nastyNumber).map(String),
    deep,
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  );
  const asMultipart = (payload: string | Buffer) => {
    const boundary = "----WardenProperty";
    return Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="0"\r\n\r\n`), Buffer.from(payload), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  };

  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...actions), body, fc.boolean(), async (action, payload, multipart) => {
      const response = multipart
        ? await callAction(ownerPage.request, action, asMultipart(payload), { "content-type": "multipart/form-data; boundary=----WardenProperty" })
        : await callAction(ownerPage.request, action, payload);
      expect(response.status(), `${action.name} at ${action.path} answered ${response.status()}: ${(await response.text()).slice(0, 300)}`).toBeLessThan(500);
    }),
    { numRuns: 200 },
  );
});
