import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AdminRole } from "@/lib/auth/admin-roles";
import type { Db } from "@/lib/db/client";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { applyMetadataRefresh, registerClient } from "./clients";
import { attachLogo, fetchLogo, LOGO_MAX_BYTES, sniffImageType } from "./logo";
import { previewClient, storedPreview, type FetchSettings } from "./preview";
import { startHttpsFixture, TEST_CA } from "./testing/fixture-server";

// The route is called as Next.js would, with a session whose role the test
// chooses and the test's database behind getDb.
const session = vi.hoisted(() => ({ role: null as AdminRole | null, db: null as unknown }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
vi.mock("@/lib/db/client", async (importOriginal) => ({ ...(await importOriginal<typeof import("@/lib/db/client")>()), getDb: () => session.db as Db }));
const { GET, POST } = await import("@/app/api/clients/logos/[id]/route");

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("IHDR-not-a-real-image-but-a-png-signature")]);
const GIF = Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1");
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';

let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
let logoPath = "/logo.png";
const settings: FetchSettings = { testing: { allowLoopback: true, ca: TEST_CA } };

beforeAll(async () => {
  fixture = await startHttpsFixture({
    "/logo.png": (_req, res) => res.writeHead(200, { "Content-Type": "image/png" }).end(PNG),
    "/logo.gif": (_req, res) => res.writeHead(200, { "Content-Type": "image/gif" }).end(GIF),
    "/logo.svg": (_req, res) => res.writeHead(200, { "Content-Type": "image/svg+xml" }).end(SVG),
    "/svg-as-png.png": (_req, res) => res.writeHead(200, { "Content-Type": "image/png" }).end(SVG),
    "/logo.html": (_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<h1>hi</h1>"),
    // No Content-Length: the cap must hold while streaming.
    "/huge.png": (_req, res) => {
      res.writeHead(200, { "Content-Type": "image/png" });
      res.write(PNG);
      res.end(Buffer.alloc(LOGO_MAX_BYTES));
    },
    "/moved.png": (_req, res) => res.writeHead(302, { Location: "/logo.png" }).end(),
    "/agent/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          client_id: `${fixture.origin}/agent/client.json`,
          client_name: "Research Agent",
          redirect_uris: [`${fixture.origin}/callback`],
          token_endpoint_auth_method: "none",
          logo_uri: `${fixture.origin}${logoPath}`,
        }),
      ),
  });
});
afterAll(() => fixture?.close());

describe("which logos are taken", () => {
  it("takes PNG and GIF images whose bytes match their type", async () => {
    expect(await fetchLogo(`${fixture.origin}/logo.png`, settings)).toMatchObject({ ok: true, contentType: "image/png", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await fetchLogo(`${fixture.origin}/logo.gif`, settings)).toMatchObject({ ok: true, contentType: "image/gif" });
  });

  it("refuses SVG, which can carry script", async () => {
    expect(await fetchLogo(`${fixture.origin}/logo.svg`, settings)).toMatchObject({ ok: false, code: "logo_svg", reason: expect.stringMatching(/SVG logos are refused/) });
  });

  it("refuses an SVG dressed up as a PNG", async () => {
    expect(await fetchLogo(`${fixture.origin}/svg-as-png.png`, settings)).toMatchObject({ ok: false, code: "logo_content_mismatch" });
  });

  it("refuses anything but an image", async () => {
    expect(await fetchLogo(`${fixture.origin}/logo.html`, settings)).toMatchObject({ ok: false, code: "logo_type", reason: expect.stringMatching(/served as text\/html/) });
  });

  it("refuses a logo over 64 KB, counted while streaming", async () => {
    expect(await fetchLogo(`${fixture.origin}/huge.png`, settings)).toEqual({ ok: false, code: "logo_too_large", reason: "The logo is larger than 64 KB." });
  });

  it("applies every fetch rule of client metadata: no redirects, no internal addresses, https only", async () => {
    expect(await fetchLogo(`${fixture.origin}/moved.png`, settings)).toMatchObject({ ok: false, code: "logo_redirect" });
    expect(await fetchLogo(`${fixture.origin}/logo.png`)).toMatchObject({ ok: false, code: "logo_address_forbidden" });
    expect(await fetchLogo("http://agent.example.com/logo.png", settings)).toMatchObject({ ok: false, code: "logo_url_not_https" });
  });

  it("inherits the address allow-list: an IPv6 form of an internal IPv4 address is refused, in the URL or in a DNS answer", async () => {
    for (const url of ["https://[::127.0.0.1]/logo.png", "https://[64:ff9b::a9fe:a9fe]/logo.png", "https://[2002:a00:1::]/logo.png"]) {
      expect(await fetchLogo(url)).toMatchObject({ ok: false, code: "logo_address_forbidden" });
    }
    // Even with the loopback test setting, which opens loopback and nothing else.
    for (const answer of ["::ffff:10.0.0.1", "64:ff9b:1::a00:1", "2001:0:4136:e378:8000:63bf:f5ff:fffe"]) {
      const fetched = await fetchLogo("https://cdn.agent.example/logo.png", { ...settings, resolve: async () => [answer] });
      expect(fetched).toMatchObject({ ok: false, code: "logo_address_forbidden", reason: expect.stringContaining("private, the") });
    }
  });

  it("recognises image signatures", () => {
    expect(sniffImageType(PNG)).toBe("image/png");
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1"))).toBe("image/webp");
    expect(sniffImageType(Buffer.from(SVG))).toBeNull();
  });
});

describeEachDatabase("stored logos", (t) => {
  const decision = { note: undefined, scopeCeiling: [], restrictTools: false, allowedTools: [] };
  const agentUrl = () => `${fixture.origin}/agent/client.json`;
  const setup = async () => {
    logoPath = "/logo.png";
    session.db = t.db;
    session.role = "VIEWER";
    const environmentId = (await t.db.environment.create({ data: { key: "dev", name: "Development" } })).id;
    const actor = { id: (await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } })).id, email: "owner@example.com" };
    return { environmentId, actor };
  };
  const get = (id: string) => GET(new Request(`http://warden.test/api/clients/logos/${id}`), { params: Promise.resolve({ id }) });

  it("stores the logo once per content, keeps it with the client, and serves it from Warden with a locked-down policy", async () => {
    const { environmentId, actor } = await setup();
    const preview = await attachLogo(t.db, await previewClient(agentUrl(), settings), settings);
    expect(preview.logo).toMatchObject({ status: "stored", url: `${fixture.origin}/logo.png`, src: expect.stringMatching(/^\/api\/clients\/logos\/[0-9a-f-]{36}$/) });
    expect(preview.warnings.map((w) => w.code)).not.toContain("logo_refused");
    const again = await attachLogo(t.db, await previewClient(agentUrl(), settings), settings);
    expect(again.logo).toEqual(preview.logo);
    expect(await t.db.clientLogo.count()).toBe(1);

    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, preview);
    const id = preview.logo.status === "stored" ? preview.logo.id : "";
    expect(client).toMatchObject({ logoId: id, logoError: null });
    expect(storedPreview(client).logo).toEqual(preview.logo);

    const response = await get(id);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toMatch(/default-src 'none'.*sandbox/);
    expect(response.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it("serves logos to signed-in admins only, and answers 404 for unknown ids", async () => {
    await setup();
    const preview = await attachLogo(t.db, await previewClient(agentUrl(), settings), settings);
    const id = preview.logo.status === "stored" ? preview.logo.id : "";
    session.role = null;
    expect((await get(id)).status).toBe(401);
    expect((await POST()).status).toBe(401);
    session.role = "VIEWER";
    expect((await POST()).status).toBe(405);
    expect((await get("0190c0de-0000-7000-8000-000000000000")).status).toBe(404);
    expect((await get("not-a-uuid")).status).toBe(404);
  });

  it("a refused logo is a warning and a placeholder, never a reason to block approval", async () => {
    const { environmentId, actor } = await setup();
    logoPath = "/logo.svg";
    const preview = await attachLogo(t.db, await previewClient(agentUrl(), settings), settings);
    expect(preview.logo).toMatchObject({ status: "refused", reason: expect.stringMatching(/SVG logos are refused/) });
    expect(preview.errors).toEqual([]);
    expect(preview.warnings).toContainEqual(expect.objectContaining({ code: "logo_refused", field: "logo_uri" }));
    expect(await t.db.clientLogo.count()).toBe(0);

    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, preview);
    expect(client).toMatchObject({ status: "APPROVED", logoId: null, logoError: expect.stringMatching(/SVG/) });
    expect(storedPreview(client).warnings.map((w) => w.code)).toContain("logo_refused");
  });

  it("sends an approved client back to review when the same logo_uri starts serving another image", async () => {
    const { environmentId, actor } = await setup();
    const client = await registerClient(t.db, actor, environmentId, { clientId: agentUrl(), decision: "approve", ...decision }, await attachLogo(t.db, await previewClient(agentUrl(), settings), settings));
    const unchanged = await applyMetadataRefresh(t.db, actor, environmentId, client.id, await attachLogo(t.db, await previewClient(agentUrl(), settings), settings));
    expect(unchanged).toMatchObject({ changes: [], status: "APPROVED" });
    logoPath = "/logo.gif";
    // The URL changes too, so make the document keep its logo_uri: only the bytes behind it differ.
    const preview = await attachLogo(t.db, await previewClient(agentUrl(), settings), settings);
    const sameUri = { ...preview, metadata: { ...preview.metadata, logo_uri: `${fixture.origin}/logo.png` } };
    const outcome = await applyMetadataRefresh(t.db, actor, environmentId, client.id, sameUri);
    expect(outcome).toMatchObject({ backToReview: true, status: "PENDING", changes: [expect.objectContaining({ field: "logo image", needsReview: true })] });
  });
});
