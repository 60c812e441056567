import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { ingestAuditEvents } from "@/lib/audit/ingest";
import { verifyAuditChain } from "@/lib/audit/verify";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { decide } from "@/sdk/src/contract/decide";
import { buildPublishedConfig } from "@/lib/config/snapshot";
import { configImpact, draftImpact, lossSentence } from "./impact";
import { importedConfig } from "./candidate";
import { exportPolicy } from "@/lib/policy-io/document";
import { requestFromInputs, type DecisionInputs } from "./inputs";

const encryptionKey = encryptionKeyFrom("test-only encryption key, 32+ characters long");
const AGENT = "https://agent.example/client.json";

describeEachDatabase("the impact of a draft on recent traffic", (t) => {
  const seed = async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const read = await t.db.tool.create({ data: { serverId: server.id, name: "read_orders" } });
    const refund = await t.db.tool.create({ data: { serverId: server.id, name: "refund" } });
    const sales = await t.db.role.create({ data: { environmentId: environment.id, name: "sales", claimName: "groups", claimValue: "sales" } });
    const finance = await t.db.role.create({ data: { environmentId: environment.id, name: "finance", claimName: "groups", claimValue: "finance" } });
    await t.db.grant.create({ data: { roleId: sales.id, toolId: read.id, requiredScopes: [] } });
    const refundGrant = await t.db.grant.create({ data: { roleId: finance.id, toolId: refund.id, requiredScopes: ["orders:write"] } });
    await t.db.client.create({ data: { environmentId: environment.id, clientId: AGENT, status: "APPROVED" } });
    await ensureSigningKey(t.db, encryptionKey);
    const actor = { id: admin.id, email: admin.email };
    await publishConfig(t.db, actor, environment.id, {}, await loadSigner(t.db, encryptionKey));
    return { environment, sales, refund, refundGrant };
  };

  type Call = { actor: string; tool: string; decision: "allow" | "deny"; inputs?: DecisionInputs; ts?: Date };
  const report = (environmentId: string, calls: Call[]) =>
    ingestAuditEvents(
      t.db,
      { environmentId, environmentKey: "prod", serverName: "sales" },
      calls.map((call) => ({
        id: uuidv7(),
        ts: (call.ts ?? new Date(Date.now() - 3_600_000)).toISOString(),
        actor: call.actor,
        clientId: AGENT,
        tool: call.tool,
        action: "tool.call",
        decision: call.decision,
        configVersion: 1,
        ...(call.inputs ? { inputs: call.inputs } : {}),
      })),
    );

  const finance: DecisionInputs = { scopes: ["orders:write"], roles: [], claims: { groups: ["finance"] } };
  const salesOnly: DecisionInputs = { scopes: ["orders:write"], roles: [], claims: { groups: ["sales"] } };

  it("shows exactly who would lose and who would gain access, and never guesses for events without inputs", async () => {
    const { environment, sales, refund, refundGrant } = await seed();
    const calls: Call[] = [
      ...Array.from({ length: 4 }, () => ({ actor: "fiona", tool: "refund", decision: "allow" as const, inputs: finance })),
      { actor: "gary", tool: "refund", decision: "allow", inputs: { ...finance, claims: { groups: ["finance", "sales"] } } },
      ...Array.from({ length: 3 }, () => ({ actor: "sam", tool: "refund", decision: "deny" as const, inputs: salesOnly })),
      { actor: "sam", tool: "read_orders", decision: "allow", inputs: salesOnly },
      // An older SDK: no inputs, so not replayable.
      { actor: "olga", tool: "refund", decision: "allow" },
      // Outside the window.
      { actor: "fiona", tool: "refund", decision: "allow", inputs: finance, ts: new Date(Date.now() - 9 * 86_400_000) },
    ];
    expect((await report(environment.id, calls)).rejected).toEqual([]);
    expect(await verifyAuditChain(t.db, environment.id)).toMatchObject({ ok: true });

    // An unchanged draft: nothing flips.
    const same = await draftImpact(t.db, environment.id);
    expect(same).toMatchObject({ unchanged: true, losesAccess: [], gainsAccess: [], traffic: { calls: 10, replayedCalls: 9, notReplayableCalls: 1 } });

    // Revoke finance's refund grant; grant refund to sales.
    await t.db.grant.delete({ where: { id: refundGrant.id } });
    await t.db.grant.create({ data: { roleId: sales.id, toolId: refund.id, requiredScopes: ["orders:write"] } });
    const impact = await draftImpact(t.db, environment.id);
    expect(impact.unchanged).toBe(false);
    // gary is in sales too, so he keeps access through the new grant.
    expect(impact.losesAccess).toMatchObject([{ server: "sales", tool: "refund", newReason: "no_grant", calls: 4, subjects: ["fiona"], clients: [AGENT] }]);
    expect(impact.gainsAccess).toMatchObject([{ server: "sales", tool: "refund", newReason: "allowed_by_grant", calls: 3, subjects: ["sam"] }]);
    expect(lossSentence(impact)).toBe("4 calls by 1 user in the last 7 days would now be refused");

    // The grouped answer is the answer of deciding every stored event on its own.
    const live = (await t.db.configVersion.findFirstOrThrow({ where: { environmentId: environment.id } })).snapshot as unknown as Awaited<ReturnType<typeof buildPublishedConfig>>;
    const draft = await buildPublishedConfig(t.db, environment.id);
    const events = await t.db.auditEvent.findMany({ where: { environmentId: environment.id, source: "mcp", ts: { gte: new Date(impact.window.from) }, NOT: { inputs: { equals: null as never } } } });
    let loses = 0;
    let gains = 0;
    for (const event of events) {
      if (!event.inputs) continue;
      const request = requestFromInputs({ subject: event.actor, clientId: event.clientId, server: event.server!, tool: event.tool! }, event.inputs as DecisionInputs);
      const before = decide({ ...live.policy, version: 1 }, request).decision;
      const after = decide(draft.policy, request).decision;
      if (before === "allow" && after === "deny") loses++;
      if (before === "deny" && after === "allow") gains++;
    }
    expect({ loses, gains }).toEqual({ loses: impact.loses.calls, gains: impact.gains.calls });
  });

  it("previews an import: the environment's own export changes nothing, a file without a grant loses its callers", async () => {
    const { environment } = await seed();
    await report(environment.id, [{ actor: "fiona", tool: "refund", decision: "allow", inputs: finance }]);
    const own = await exportPolicy(t.db, environment.id);
    expect((await importedConfig(t.db, environment.id, own)).policy).toEqual((await buildPublishedConfig(t.db, environment.id)).policy);
    const same = await configImpact(t.db, environment.id, { label: "the import", config: await importedConfig(t.db, environment.id, own) });
    expect(same).toMatchObject({ unchanged: true, losesAccess: [] });

    const withoutRefund = { ...own, roles: own.roles.map((role) => ({ ...role, grants: role.grants.filter((grant) => grant.tool !== "refund") })) };
    const impact = await configImpact(t.db, environment.id, { label: "the import", config: await importedConfig(t.db, environment.id, withoutRefund) });
    expect(impact.losesAccess).toMatchObject([{ tool: "refund", subjects: ["fiona"], calls: 1, newReason: "no_grant" }]);
    expect(impact.candidate.label).toBe("the import");
  });

  it("refuses inputs that break the input rules, naming the field", async () => {
    const { environment } = await seed();
    const result = await report(environment.id, [{ actor: "x", tool: "refund", decision: "allow", inputs: { scopes: ["a\u0000"], roles: [], claims: {} } }]);
    expect(result.rejected).toEqual([{ index: 0, reason: expect.stringContaining("inputs.scopes") }]);
  });
});
