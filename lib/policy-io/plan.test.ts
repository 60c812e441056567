import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { toolDefinitionHash } from "@/lib/tools/definition-hash";
import { exportPolicy, serializePolicy, type PolicyDocument } from "./document";
import { parsePolicy } from "./parse";
import { StalePlanError, applyPolicyImport, planPolicyImport } from "./plan";
import { planIsEmpty } from "./plan-shape";

const actor = { id: "0190a0a0-0000-7000-8000-000000000001", email: "owner@example.com", ip: "192.0.2.10" };

const policy: PolicyDocument = {
  warden: "policy/v1",
  environment: "dev",
  scopes: [
    { name: "tools:sales.read", description: "Read sales" },
    { name: "tools:sales.write", description: null },
  ],
  servers: [
    {
      name: "sales",
      description: "Sales data",
      resource: "https://mcp.example.com/sales",
      authorizationServer: "https://idp.example.com",
      jwksUri: null,
      scopesSupported: ["tools:sales.read", "tools:sales.write"],
      tools: [
        {
          name: "lookup",
          title: "Look up",
          description: "Find an order",
          inputSchema: { type: "object", properties: { id: { type: "string" } } },
          annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
          riskTier: "LOW",
          enabled: true,
          requiresApproval: false,
        },
        {
          name: "refund",
          title: null,
          description: null,
          inputSchema: { type: "object" },
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
          riskTier: "HIGH",
          enabled: false,
          requiresApproval: true,
        },
      ],
    },
  ],
  roles: [
    {
      name: "support",
      description: null,
      claimName: "roles",
      claimValue: "support",
      grants: [
        { server: "sales", tool: "lookup", requiredScopes: ["tools:sales.read"] },
        { server: "sales", tool: "refund", requiredScopes: ["tools:sales.read", "tools:sales.write"] },
      ],
    },
  ],
  clients: [],
};

const salesAssistant = {
  clientId: "0oa1b2c3d4",
  displayName: "Sales assistant",
  owner: "Revenue platform team",
  description: "Answers account questions",
  redirectUris: ["https://agents.example.com/callback"],
  status: "APPROVED" as const,
  reviewNote: "Reviewed with security",
  scopeCeiling: ["tools:sales.read"],
  restrictTools: true,
  allowedTools: ["sales/lookup"],
};

describeEachDatabase("policy import", (t) => {
  const environment = (key: string) => t.db.environment.create({ data: { key, name: key } });
  const importInto = async (environmentId: string, doc: PolicyDocument) => {
    const plan = await planPolicyImport(t.db, environmentId, doc);
    return applyPolicyImport(t.db, actor, environmentId, doc, plan.hash);
  };

  it("imports a file into an empty environment so that its export is the same file", async () => {
    const env = await environment("dev");
    const plan = await planPolicyImport(t.db, env.id, policy);
    expect(plan).toMatchObject({
      scopes: { create: ["tools:sales.read", "tools:sales.write"], update: [], delete: [] },
      servers: { create: ["sales"] },
      tools: { create: ["sales/lookup", "sales/refund"] },
      roles: { create: ["support"] },
      grants: { create: ["support → sales/lookup", "support → sales/refund"] },
    });
    await applyPolicyImport(t.db, actor, env.id, policy, plan.hash);

    const exported = await exportPolicy(t.db, env.id);
    expect(exported).toEqual(policy);
    for (const format of ["json", "yaml"] as const) expect(parsePolicy(serializePolicy(exported, format), format)).toEqual({ ok: true, doc: policy });
    expect(planIsEmpty(await planPolicyImport(t.db, env.id, exported))).toBe(true);

    // The admin who applied the previewed file approved its tool definitions.
    const lookup = await t.db.tool.findFirstOrThrow({ where: { name: "lookup" } });
    const hash = toolDefinitionHash({ ...policy.servers[0]!.tools[0]! });
    expect(lookup).toMatchObject({ definitionHash: hash, approvedHash: hash });

    const events = await t.db.auditEvent.findMany({ where: { action: "policy.imported" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ environmentId: env.id, actor: actor.id, target: `environment:${env.id}` });
    expect(events[0]!.details).toMatchObject({ counts: { servers: { created: 1 }, tools: { created: 2 }, grants: { created: 2 } } });
  });

  it("plans creates, updates with their fields, and deletes, then applies exactly them", async () => {
    const env = await environment("dev");
    await importInto(env.id, policy);
    const edited: PolicyDocument = structuredClone(policy);
    edited.scopes = edited.scopes.filter((scope) => scope.name !== "tools:sales.write").concat({ name: "tools:crm.read", description: null });
    edited.servers[0]!.description = "Orders and refunds";
    edited.servers[0]!.tools = edited.servers[0]!.tools.filter((tool) => tool.name !== "refund");
    edited.servers[0]!.tools[0]!.riskTier = "MEDIUM";
    edited.roles[0]!.grants = [{ server: "sales", tool: "lookup", requiredScopes: ["tools:crm.read"] }];
    edited.roles.push({ name: "auditor", description: null, claimName: "groups", claimValue: "audit", grants: [] });

    const plan = await planPolicyImport(t.db, env.id, edited);
    expect(plan).toMatchObject({
      scopes: { create: ["tools:crm.read"], update: [], delete: ["tools:sales.write"] },
      servers: { create: [], update: [{ name: "sales", fields: ["description"] }], delete: [] },
      tools: { create: [], update: [{ name: "sales/lookup", fields: ["riskTier"] }], delete: ["sales/refund"] },
      roles: { create: ["auditor"], update: [], delete: [] },
      grants: { create: [], update: [{ name: "support → sales/lookup", fields: ["requiredScopes"] }], delete: ["support → sales/refund"] },
    });
    await applyPolicyImport(t.db, actor, env.id, edited, plan.hash);
    expect(await exportPolicy(t.db, env.id)).toEqual({ ...edited, roles: [...edited.roles].sort((a, b) => a.name.localeCompare(b.name)), scopes: [...edited.scopes].sort((a, b) => (a.name < b.name ? -1 : 1)) });
    expect(await t.db.tool.findFirstOrThrow({ where: { name: "lookup" } })).toMatchObject({ version: 2, riskTier: "MEDIUM" });
  });

  it("refuses a stale preview and changes nothing", async () => {
    const env = await environment("dev");
    const plan = await planPolicyImport(t.db, env.id, policy);
    // Someone adds a scope between the preview and the apply.
    await t.db.scope.create({ data: { environmentId: env.id, name: "extra" } });

    const refusal = await applyPolicyImport(t.db, actor, env.id, policy, plan.hash).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StalePlanError);
    expect((refusal as StalePlanError).plan.scopes.delete).toEqual(["extra"]);
    expect(await t.db.mcpServer.count()).toBe(0);
    expect(await t.db.scope.findMany({ select: { name: true } })).toEqual([{ name: "extra" }]);
    expect(await t.db.auditEvent.count({ where: { action: "policy.imported" } })).toBe(0);
  });

  it("refuses to apply a file edited after its preview", async () => {
    const env = await environment("dev");
    const plan = await planPolicyImport(t.db, env.id, policy);
    const edited = structuredClone(policy);
    edited.scopes[0]!.description = "Changed after the preview";
    await expect(applyPolicyImport(t.db, actor, env.id, edited, plan.hash)).rejects.toBeInstanceOf(StalePlanError);
    expect(await t.db.scope.count()).toBe(0);
  });

  it("rolls back everything when a write fails part-way", async () => {
    const env = await environment("dev");
    await importInto(env.id, {
      ...policy,
      servers: [{ ...policy.servers[0]!, tools: [] }, { ...policy.servers[0]!, name: "crm", resource: "https://mcp.example.com/crm", tools: [] }],
      roles: [],
    });
    // Swapping two servers' resources collides on the unique resource half-way through.
    const swapped = structuredClone(policy);
    swapped.roles = [];
    swapped.servers = [
      { ...policy.servers[0]!, tools: [], resource: "https://mcp.example.com/crm" },
      { ...policy.servers[0]!, name: "crm", tools: [], resource: "https://mcp.example.com/sales", description: "CRM" },
    ];
    const plan = await planPolicyImport(t.db, env.id, swapped);
    await expect(applyPolicyImport(t.db, actor, env.id, swapped, plan.hash)).rejects.toThrow(/two steps/);
    expect(await t.db.mcpServer.findMany({ select: { name: true, resourceUri: true, description: true }, orderBy: { name: "asc" } })).toEqual([
      { name: "crm", resourceUri: "https://mcp.example.com/crm", description: "Sales data" },
      { name: "sales", resourceUri: "https://mcp.example.com/sales", description: "Sales data" },
    ]);
  });

  it("promotes dev into staging: the same export, with a preview of what staging loses", async () => {
    const dev = await environment("dev");
    const staging = await environment("staging");
    await importInto(dev.id, policy);
    await t.db.role.create({ data: { environmentId: staging.id, name: "staging-only", claimValue: "x" } });

    const fromDev = await exportPolicy(t.db, dev.id);
    const plan = await planPolicyImport(t.db, staging.id, fromDev);
    expect(plan.roles).toEqual({ create: ["support"], update: [], delete: ["staging-only"] });
    await applyPolicyImport(t.db, actor, staging.id, fromDev, plan.hash, { kind: "promotion", from: "dev" });

    expect(await exportPolicy(t.db, staging.id)).toEqual({ ...fromDev, environment: "staging" });
    expect(await exportPolicy(t.db, dev.id)).toEqual(fromDev);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "policy.imported" }, orderBy: { ts: "desc" }, take: 1 });
    expect(event).toMatchObject({ environmentId: staging.id, details: { source: "promotion", from: "dev" } });
  });

  it("exports and imports pre-registered clients with their description, status and limits, so an export round-trips", async () => {
    const env = await environment("dev");
    const withClient: PolicyDocument = { ...policy, clients: [salesAssistant] };
    const plan = await planPolicyImport(t.db, env.id, withClient);
    expect(plan.clients).toEqual({ create: ["0oa1b2c3d4"], update: [], delete: [] });
    await applyPolicyImport(t.db, actor, env.id, withClient, plan.hash);

    expect(await t.db.client.findFirstOrThrow()).toMatchObject({ kind: "PRE_REGISTERED", status: "APPROVED", owner: "Revenue platform team", reviewedAt: expect.any(Date) });
    const exported = await exportPolicy(t.db, env.id);
    expect(exported.clients).toEqual([salesAssistant]);
    for (const format of ["json", "yaml"] as const) expect(parsePolicy(serializePolicy(exported, format), format)).toEqual({ ok: true, doc: exported });
    expect(planIsEmpty(await planPolicyImport(t.db, env.id, exported))).toBe(true);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "policy.imported" } });
    expect(event!.details).toMatchObject({ counts: { clients: { created: 1 } } });
  });

  it("plans a suspension and an edit by field, and deletes a pre-registered client the file no longer lists", async () => {
    const env = await environment("dev");
    await importInto(env.id, { ...policy, clients: [salesAssistant, { ...salesAssistant, clientId: "retired-agent", displayName: "Retired" }] });
    const edited: PolicyDocument = { ...policy, clients: [{ ...salesAssistant, status: "SUSPENDED", owner: "Sales engineering" }] };
    const plan = await planPolicyImport(t.db, env.id, edited);
    expect(plan.clients).toEqual({ create: [], update: [{ name: "0oa1b2c3d4", fields: ["owner", "status"] }], delete: ["retired-agent"] });
    await applyPolicyImport(t.db, actor, env.id, edited, plan.hash);
    expect(await t.db.client.findMany({ select: { clientId: true, status: true, version: true } })).toEqual([{ clientId: "0oa1b2c3d4", status: "SUSPENDED", version: 2 }]);
  });

  it("never exports, imports or deletes CIMD clients, and a file without a clients list leaves clients alone", async () => {
    const env = await environment("dev");
    await t.db.client.create({ data: { environmentId: env.id, clientId: "https://agent.example/client.json", status: "APPROVED" } });
    await importInto(env.id, { ...policy, clients: [salesAssistant] });
    expect((await exportPolicy(t.db, env.id)).clients!.map((client) => client.clientId)).toEqual(["0oa1b2c3d4"]);

    // A file written before clients were exported: neither kind is touched.
    const { clients: _clients, ...older } = policy;
    void _clients;
    expect((await planPolicyImport(t.db, env.id, older)).clients).toEqual({ create: [], update: [], delete: [] });
    // An explicit empty list removes the pre-registered client, never the CIMD one.
    await importInto(env.id, { ...policy, clients: [] });
    expect(await t.db.client.findMany({ select: { clientId: true } })).toEqual([{ clientId: "https://agent.example/client.json" }]);

    const cimdInFile = parsePolicy(JSON.stringify({ ...policy, clients: [{ ...salesAssistant, clientId: "https://agent.example/client.json" }] }), "json");
    expect(cimdInFile).toMatchObject({ ok: false, errors: [expect.objectContaining({ path: "clients[0].clientId", message: expect.stringMatching(/register it as a CIMD client/) })] });
  });

  it("promotes pre-registered clients from dev into staging with their status", async () => {
    const dev = await environment("dev");
    const staging = await environment("staging");
    await importInto(dev.id, { ...policy, clients: [salesAssistant] });
    const fromDev = await exportPolicy(t.db, dev.id);
    const plan = await planPolicyImport(t.db, staging.id, fromDev);
    expect(plan.clients.create).toEqual(["0oa1b2c3d4"]);
    await applyPolicyImport(t.db, actor, staging.id, fromDev, plan.hash, { kind: "promotion", from: "dev" });
    expect(await t.db.client.findFirstOrThrow({ where: { environmentId: staging.id } })).toMatchObject({ kind: "PRE_REGISTERED", status: "APPROVED", scopeCeiling: ["tools:sales.read"] });
  });

  it("refuses a file that lists the same client twice, or one with a bad status, at the line of the problem", async () => {
    const twice = parsePolicy(JSON.stringify({ ...policy, clients: [salesAssistant, salesAssistant] }, null, 2), "json");
    expect(twice).toMatchObject({ ok: false, errors: [expect.objectContaining({ path: "clients[1].clientId", message: 'The client "0oa1b2c3d4" appears twice.', line: expect.any(Number) })] });
    const badStatus = parsePolicy(JSON.stringify({ ...policy, clients: [{ ...salesAssistant, status: "TRUSTED" }] }, null, 2), "json");
    expect(badStatus).toMatchObject({ ok: false, errors: [expect.objectContaining({ path: "clients[0].status", message: expect.stringMatching(/^Choose a status/) })] });
  });
});
