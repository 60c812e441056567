import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { ingestAuditEvents } from "@/lib/audit/ingest";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import type { DecisionInputs } from "@/sdk/src/contract/decision-inputs";
import { checkReportedDecisions, mismatchOf, recentMismatches } from "./reported-check";

const encryptionKey = encryptionKeyFrom("test-only encryption key, 32+ characters long");
const AGENT = "https://agent.example/client.json";
const PENDING_AGENT = "https://pending.example/client.json";

describeEachDatabase("checking the decisions MCP servers report", (t) => {
  const seed = async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const refund = await t.db.tool.create({ data: { serverId: server.id, name: "refund" } });
    const finance = await t.db.role.create({ data: { environmentId: environment.id, name: "finance", claimName: "groups", claimValue: "finance" } });
    await t.db.grant.create({ data: { roleId: finance.id, toolId: refund.id, requiredScopes: ["orders:write"] } });
    await t.db.client.create({ data: { environmentId: environment.id, clientId: AGENT, status: "APPROVED" } });
    await t.db.client.create({ data: { environmentId: environment.id, clientId: PENDING_AGENT, status: "PENDING" } });
    await ensureSigningKey(t.db, encryptionKey);
    await publishConfig(t.db, { id: admin.id, email: admin.email }, environment.id, {}, await loadSigner(t.db, encryptionKey));
    return environment;
  };

  const finance: DecisionInputs = { scopes: ["orders:write"], roles: [], claims: { groups: ["finance"] } };
  const nobody: DecisionInputs = { scopes: ["orders:write"], roles: [], claims: { groups: ["sales"] } };

  it("flags exactly the reported decisions their config version would not have made, once", async () => {
    const environment = await seed();
    const event = (name: string, fields: Record<string, unknown>) => ({ id: uuidv7(), ts: new Date().toISOString(), actor: name, clientId: AGENT, tool: "refund", action: "tool.call", configVersion: 1, ...fields });
    const events = [
      event("agrees-allow", { decision: "allow", inputs: finance }),
      event("agrees-deny", { decision: "deny", reason: "no_grant", inputs: nobody }),
      event("allow-without-grant", { decision: "allow", inputs: nobody }),
      event("allow-unknown-tool", { decision: "allow", tool: "drop_tables" }),
      event("allow-pending-client", { decision: "allow", clientId: PENDING_AGENT }),
      // Without inputs, an allow that some token could have earned cannot be judged, nor can a deny.
      event("allow-unknowable", { decision: "allow" }),
      event("deny-unknowable", { decision: "deny" }),
      event("approval-refused", { decision: "deny", reason: "approval_denied", inputs: finance }),
      event("unknown-version", { decision: "allow", inputs: finance, configVersion: 9 }),
    ];
    expect((await ingestAuditEvents(t.db, { environmentId: environment.id, environmentKey: "prod", serverName: "sales" }, events)).rejected).toEqual([]);

    const first = await checkReportedDecisions(t.db);
    expect(first).toMatchObject({ ran: true, flagged: 4 });
    const flagged = await recentMismatches(t.db, environment.id, new Date(Date.now() - 86_400_000));
    expect(Object.fromEntries(flagged.rows.map((row) => [row.actor, [row.expectedDecision, row.expectedReason, row.replayed]]))).toEqual({
      "allow-without-grant": ["deny", "no_grant", true],
      "allow-unknown-tool": ["deny", "unknown_tool", false],
      "allow-pending-client": ["deny", "unknown_client", false],
      "unknown-version": ["deny", "unknown_config_version", false],
    });
    const one = flagged.rows.find((row) => row.actor === "allow-unknown-tool")!;
    expect((await mismatchOf(t.db, environment.id, one.eventId))?.message).toContain('There is no tool "drop_tables"');

    // A second pass reads nothing again; a new event is read from where the first stopped.
    expect(await checkReportedDecisions(t.db)).toMatchObject({ ran: true, checked: 0, flagged: 0 });
    await ingestAuditEvents(t.db, { environmentId: environment.id, environmentKey: "prod", serverName: "sales" }, [event("later", { decision: "allow", inputs: nobody })]);
    expect(await checkReportedDecisions(t.db)).toMatchObject({ checked: 1, flagged: 1 });
    expect((await recentMismatches(t.db, environment.id, new Date(0))).total).toBe(5);
  });

  it("reads at most the bound per chain in one pass, and the rest in the next", async () => {
    const environment = await seed();
    const events = Array.from({ length: 7 }, () => ({ id: uuidv7(), ts: new Date().toISOString(), actor: "x", clientId: AGENT, tool: "nope", action: "tool.call", decision: "allow", configVersion: 1 }));
    await ingestAuditEvents(t.db, { environmentId: environment.id, environmentKey: "prod", serverName: "sales" }, events);
    // The lane may also hold the publish event, which counts toward the bound.
    const first = await checkReportedDecisions(t.db, { perChain: 5 });
    expect(first.flagged).toBeGreaterThanOrEqual(4);
    expect(first.flagged).toBeLessThan(7);
    expect(first.flagged + (await checkReportedDecisions(t.db, { perChain: 5 })).flagged).toBe(7);
  });
});
