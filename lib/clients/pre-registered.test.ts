import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { StaleWriteError } from "@/lib/errors";
import { buildPublishedConfig } from "@/lib/config/snapshot";
import { decide } from "@/sdk/src/contract/decide";
import { applyMetadataRefresh, ClientListQuerySchema, listClients, reviewClient } from "./clients";
import { checkUploadedLogo, LOGO_MAX_BYTES } from "./logo";
import { registerPreRegisteredClient, RegisterPreRegisteredClientSchema, updatePreRegisteredClient } from "./pre-registered";
import { storedPreview } from "./preview";
import { recheckDueClients } from "./recheck";

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("IHDR-a-png-signature")]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

const valid = {
  clientId: "0oa1b2c3d4",
  displayName: "Sales assistant",
  owner: "Revenue platform team",
  description: "Answers account questions in the CRM.",
  redirectUris: ["https://agents.example.com/callback"],
  decision: "pending",
};
const fieldErrors = (input: Record<string, unknown>) => {
  const parsed = RegisterPreRegisteredClientSchema.safeParse({ ...valid, ...input });
  // The first problem per field, as the form shows it first.
  return parsed.success ? {} : Object.fromEntries(parsed.error.issues.reverse().map((issue) => [issue.path.join("."), issue.message]));
};

it("accepts an IdP-issued id of printable characters: Okta, Entra, Auth0 and Keycloak shapes", () => {
  for (const clientId of ["0oa1b2c3d4", "8f3c1a2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "Xq9zLk2mNp4RtV6wYb8", "sales-agent", "api://sales-agent", "urn:agent:sales"]) {
    expect(fieldErrors({ clientId })).toEqual({});
  }
});

it("refuses a client_id that is an https URL, or starts like one, pointing to CIMD registration", () => {
  for (const clientId of ["https://agent.example.com/client.json", "HTTPS://agent.example.com/x", "http://agent.example.com/client.json", "https:agent.example.com"]) {
    expect(fieldErrors({ clientId }).clientId).toMatch(/register it as a CIMD client/);
  }
});

it("refuses an empty, over-long, or spaced client_id, and one with control characters", () => {
  expect(fieldErrors({ clientId: "" }).clientId).toMatch(/Enter the client_id/);
  expect(fieldErrors({ clientId: "a".repeat(256) }).clientId).toMatch(/at most 255/);
  expect(fieldErrors({ clientId: "a".repeat(255) })).toEqual({});
  expect(fieldErrors({ clientId: "sales agent" }).clientId).toMatch(/without spaces/);
  expect(fieldErrors({ clientId: "agent\u0000" }).clientId).toMatch(/U\+0000/);
  expect(fieldErrors({ clientId: "agent\u0007" }).clientId).toMatch(/without spaces/);
});

it("needs a name and an owner, and redirect URIs that are absolute URIs", () => {
  expect(fieldErrors({ displayName: " " }).displayName).toMatch(/Enter the name/);
  expect(fieldErrors({ owner: "" }).owner).toMatch(/owner or team/);
  expect(fieldErrors({ redirectUris: ["/callback"] })["redirectUris.0"]).toMatch(/absolute URI/);
  expect(fieldErrors({ description: "\ud800" }).description).toMatch(/well-formed/);
});

it("holds an uploaded logo to the fetched logo's rules: raster by its bytes, no SVG, at most 64 KB", () => {
  expect(checkUploadedLogo(PNG)).toMatchObject({ ok: true, contentType: "image/png" });
  expect(checkUploadedLogo(SVG)).toMatchObject({ ok: false, code: "logo_svg" });
  expect(checkUploadedLogo(Buffer.from("just text"))).toMatchObject({ ok: false, code: "logo_type" });
  expect(checkUploadedLogo(Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES)]))).toMatchObject({ ok: false, code: "logo_too_large" });
  expect(fieldErrors({ logo: "A".repeat(LOGO_MAX_BYTES * 2) }).logo).toMatch(/larger than 64 KB/);
});

describeEachDatabase("pre-registered clients", (t) => {
  let actor = { id: "", email: "owner@example.com" };
  let environmentId = "";
  const limits = { note: undefined, scopeCeiling: [], restrictTools: false, allowedTools: [] };
  const input = (overrides: Record<string, unknown> = {}) => RegisterPreRegisteredClientSchema.parse({ ...valid, ...limits, ...overrides });

  const setup = async () => {
    environmentId = (await t.db.environment.create({ data: { key: "dev", name: "Development" } })).id;
    actor = { id: (await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } })).id, email: "owner@example.com" };
    const server = await t.db.mcpServer.create({ data: { environmentId, name: "sales", resourceUri: "https://mcp.example.com/sales", authorizationServer: "https://idp.example.com" } });
    const tool = await t.db.tool.create({ data: { serverId: server.id, name: "lookup", riskTier: "LOW" } });
    const role = await t.db.role.create({ data: { environmentId, name: "support", claimName: "roles", claimValue: "support" } });
    await t.db.grant.create({ data: { roleId: role.id, toolId: tool.id } });
  };
  const ask = async (clientId: string) =>
    decide((await buildPublishedConfig(t.db, environmentId)).policy, { subject: "alice", clientId, server: "sales", tool: "lookup", scopes: [], roles: ["support"] });

  it("registers an approved client that a token naming it exactly may use, and audits who described it", async () => {
    await setup();
    const client = await registerPreRegisteredClient(t.db, actor, environmentId, input({ decision: "approve", logo: PNG.toString("base64") }));
    expect(client).toMatchObject({ kind: "PRE_REGISTERED", status: "APPROVED", displayName: "Sales assistant", owner: "Revenue platform team", reviewedById: actor.id });
    expect(client.logoId).not.toBeNull();
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "client.approved", target: "client:0oa1b2c3d4", environmentId, details: expect.objectContaining({ kind: "PRE_REGISTERED" }) });

    const published = await buildPublishedConfig(t.db, environmentId);
    expect(published.policy.clients).toEqual([{ clientId: "0oa1b2c3d4", kind: "PRE_REGISTERED", status: "APPROVED", scopeCeiling: [], restrictTools: false, allowedTools: [] }]);
    expect(await ask("0oa1b2c3d4")).toMatchObject({ decision: "allow", reason: "allowed_by_grant" });
    // Exact match only: another case or a prefix is another client.
    expect(await ask("0OA1B2C3D4")).toMatchObject({ decision: "deny", reason: "unknown_client" });
    expect(await ask("0oa1b2c3")).toMatchObject({ decision: "deny", reason: "unknown_client" });
  });

  it("suspends through the same review as CIMD clients, and the denial names the kind", async () => {
    await setup();
    const client = await registerPreRegisteredClient(t.db, actor, environmentId, input({ decision: "approve" }));
    await reviewClient(t.db, actor, environmentId, { id: client.id, version: client.version, decision: "suspend", ...limits, scopeCeiling: [] }, { approvable: true });
    expect((await buildPublishedConfig(t.db, environmentId)).policy.clients).toEqual([]);
    const draft = await import("@/lib/policy/load").then((m) => m.loadPolicySnapshot(t.db, environmentId));
    expect(decide(draft, { subject: "alice", clientId: "0oa1b2c3d4", server: "sales", tool: "lookup", scopes: [], roles: ["support"] })).toMatchObject({
      decision: "deny",
      reason: "client_not_approved",
      message: expect.stringMatching(/^The pre-registered client 0oa1b2c3d4 is suspended/),
    });
  });

  it("refuses the same client_id twice in an environment, and writes nothing", async () => {
    await setup();
    await registerPreRegisteredClient(t.db, actor, environmentId, input());
    await expect(registerPreRegisteredClient(t.db, actor, environmentId, input({ displayName: "Other" }))).rejects.toMatchObject({
      fieldErrors: { clientId: [expect.stringMatching(/Already registered/)] },
    });
    expect(await t.db.client.count()).toBe(1);
    expect(await t.db.auditEvent.count()).toBe(1);
  });

  it("refuses an SVG upload as a logo form error, with no client, logo or event written", async () => {
    await setup();
    await expect(registerPreRegisteredClient(t.db, actor, environmentId, input({ logo: SVG.toString("base64") }))).rejects.toMatchObject({
      fieldErrors: { logo: [expect.stringMatching(/SVG logos are refused/)] },
    });
    expect([await t.db.client.count(), await t.db.clientLogo.count(), await t.db.auditEvent.count()]).toEqual([0, 0, 0]);
  });

  it("lists both kinds with their labels, filters by kind, and finds a pre-registered client by name or owner", async () => {
    await setup();
    await registerPreRegisteredClient(t.db, actor, environmentId, input());
    await t.db.client.create({ data: { environmentId, clientId: "https://agent.example/client.json", metadata: { client_name: "Research" } } });
    const all = await listClients(t.db, environmentId, ClientListQuerySchema.parse({ sort: "clientId", dir: "asc" }));
    expect(all.rows.map((row) => [row.kind, row.hostname, row.name])).toEqual([
      ["PRE_REGISTERED", "0oa1b2c3d4", "Sales assistant"],
      ["CIMD", "agent.example", "Research"],
    ]);
    expect((await listClients(t.db, environmentId, ClientListQuerySchema.parse({ kind: "PRE_REGISTERED" }))).rows.map((row) => row.clientId)).toEqual(["0oa1b2c3d4"]);
    expect((await listClients(t.db, environmentId, ClientListQuerySchema.parse({ kind: "CIMD" }))).total).toBe(1);
    expect((await listClients(t.db, environmentId, ClientListQuerySchema.parse({ q: "revenue" }))).rows.map((row) => row.clientId)).toEqual(["0oa1b2c3d4"]);
  });

  it("edits the description against the version seen, keeping status and limits, and refuses a stale edit", async () => {
    await setup();
    const client = await registerPreRegisteredClient(t.db, actor, environmentId, input({ decision: "approve", scopeCeiling: ["tools:read"] }));
    const details = { displayName: "Sales copilot", owner: "Revenue platform team", description: null, redirectUris: [] };
    const updated = await updatePreRegisteredClient(t.db, actor, environmentId, { id: client.id, version: client.version, ...details, logo: PNG.toString("base64") });
    expect(updated).toMatchObject({ status: "APPROVED", scopeCeiling: ["tools:read"], displayName: "Sales copilot", version: client.version + 1 });
    const event = await t.db.auditEvent.findFirst({ where: { action: "client.details_updated" } });
    expect(event?.details).toMatchObject({ fields: ["displayName", "description", "redirectUris", "logo"] });
    await expect(updatePreRegisteredClient(t.db, actor, environmentId, { id: client.id, version: client.version, ...details })).rejects.toBeInstanceOf(StaleWriteError);
  });

  it("is never re-fetched: neither the scheduled re-check nor a refresh touches it", async () => {
    await setup();
    const client = await registerPreRegisteredClient(t.db, actor, environmentId, input({ decision: "approve" }));
    expect(await recheckDueClients(t.db, {})).toEqual({ checked: 0, changed: 0, backToReview: 0, failed: 0 });
    const preview = storedPreview({ clientId: client.clientId, metadata: null, fetchedAt: null, cacheExpiresAt: null });
    await expect(applyMetadataRefresh(t.db, actor, environmentId, client.id, preview)).rejects.toThrow(/no metadata document to refresh/);
    expect(await t.db.client.findUniqueOrThrow({ where: { id: client.id } })).toMatchObject({ status: "APPROVED", version: client.version });
  });
});
