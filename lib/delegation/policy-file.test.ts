import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { exportPolicy, serializePolicy } from "@/lib/policy-io/document";
import { parsePolicy } from "@/lib/policy-io/parse";
import { applyPolicyImport, planPolicyImport } from "@/lib/policy-io/plan";
import { planIsEmpty } from "@/lib/policy-io/plan-shape";
import { createDownstreamApi, loadDelegationPolicy, setDelegation } from "./delegation";

describeEachDatabase("downstream APIs in policy files", (t) => {
  async function seed() {
    const dev = await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const prod = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const actor = { id: admin.id, email: admin.email };
    const server = await t.db.mcpServer.create({ data: { environmentId: dev.id, name: "calendar-mcp", resourceUri: "https://cal.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "book_meeting" } });
    await t.db.role.create({ data: { environmentId: dev.id, name: "planner", claimName: "groups", claimValue: "planners" } });
    const api = await createDownstreamApi(t.db, actor, dev.id, { name: "calendar-api", audience: "https://calendar.example.com/api", scopes: ["calendar:write", "calendar:read"], tokenLifetimeSeconds: 600 });
    await setDelegation(t.db, actor, dev.id, {
      downstreamApiId: api.id,
      serverId: server.id,
      tools: ["book_meeting"],
      roles: ["planner"],
      scopeCeiling: ["calendar:read", "calendar:write"],
      propagation: [{ scope: "calendar:write", requires: "tools:calendar.write" }],
    });
    return { dev, prod, actor };
  }

  it("exports downstream APIs with their delegations, and promotes them to another environment exactly", async () => {
    const { dev, prod, actor } = await seed();
    const exported = await exportPolicy(t.db, dev.id);
    expect(exported.downstreamApis).toEqual([
      {
        name: "calendar-api",
        audience: "https://calendar.example.com/api",
        scopes: ["calendar:read", "calendar:write"],
        tokenLifetimeSeconds: 600,
        description: null,
        delegations: [{ server: "calendar-mcp", tools: ["book_meeting"], scopeCeiling: ["calendar:read", "calendar:write"], roles: ["planner"], propagation: [{ scope: "calendar:write", requires: "tools:calendar.write" }] }],
      },
    ]);
    const yaml = serializePolicy(exported, "yaml");
    const parsed = parsePolicy(yaml, "yaml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const plan = await planPolicyImport(t.db, prod.id, parsed.doc);
    expect(plan.downstreamApis.create).toEqual(["calendar-api"]);
    expect(plan.delegations.create).toEqual(["calendar-mcp → calendar-api"]);
    await applyPolicyImport(t.db, actor, prod.id, parsed.doc, plan.hash, { kind: "promotion", from: "dev" });
    expect(await loadDelegationPolicy(t.db, prod.id)).toEqual(await loadDelegationPolicy(t.db, dev.id));
    expect(planIsEmpty(await planPolicyImport(t.db, prod.id, parsed.doc))).toBe(true);

    // Removing the delegation from the file removes it from the environment; a file without the list leaves APIs alone.
    const without = { ...parsed.doc, downstreamApis: parsed.doc.downstreamApis!.map((entry) => ({ ...entry, delegations: [] })) };
    const removal = await planPolicyImport(t.db, prod.id, without);
    expect(removal.delegations.delete).toEqual(["calendar-mcp → calendar-api"]);
    await applyPolicyImport(t.db, actor, prod.id, without, removal.hash);
    expect((await loadDelegationPolicy(t.db, prod.id))?.delegations).toEqual([]);
    const legacy: Omit<typeof without, "downstreamApis"> & { downstreamApis?: undefined } = { ...without, downstreamApis: undefined };
    expect(planIsEmpty(await planPolicyImport(t.db, prod.id, legacy))).toBe(true);
  });

  it("refuses a delegation to a server, tool, role or scope the file does not have, on its line", async () => {
    const text = `warden: policy/v1
environment: dev
servers:
  - name: calendar-mcp
    resource: https://cal.example.com/mcp
    tools: []
downstreamApis:
  - name: calendar-api
    audience: https://calendar.example.com/api
    scopes: [calendar:read]
    delegations:
      - server: mail-mcp
      - server: calendar-mcp
        tools: [book_meeting]
        roles: [planner]
        scopeCeiling: [calendar:write]
`;
    const parsed = parsePolicy(text, "yaml");
    expect(parsed.ok).toBe(false);
    const messages = parsed.ok ? [] : parsed.errors.map((error) => `${error.line}: ${error.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^12: No server named "mail-mcp" in this file\./),
        expect.stringMatching(/has no tool named "book_meeting"/),
        expect.stringMatching(/No role named "planner" in this file\./),
        expect.stringMatching(/"calendar-api" does not list the scope "calendar:write"\./),
      ]),
    );
  });
});
