import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "@/lib/approvals/approval-requests";
import { createApprovalClient, createAuditReporter, createWardenClient, type AuditReporter, type WardenClient } from "@/sdk/src/index";
import { AGENT, startWardenFixture, type WardenFixture } from "@/sdk/test/warden-fixture";
import { startReferenceMcpServer, type RunningReferenceServer } from "./server";
import { startTokenIssuer, type TokenIssuer } from "./token-issuer";

const RESOURCE = "https://sales.example.com/mcp";
const silent = { info() {}, warn() {}, error() {} };

let warden: WardenFixture;
let issuer: TokenIssuer;
let sdk: WardenClient;
let audit: AuditReporter;
let mcp: RunningReferenceServer;

beforeAll(async () => {
  warden = await startWardenFixture();
  issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:sales.read", "tools:sales.write"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });
  // refund_payment is CRITICAL: the environment's HIGH threshold makes every call to it wait for a human.
  await warden.publish(async (db) => {
    await db.environment.update({ where: { id: warden.environment.id }, data: { approvalRiskTier: "HIGH" } });
    await db.grant.create({ data: { roleId: warden.analyst.id, toolId: warden.tools.refund.id, requiredScopes: ["tools:sales.write"] } });
  }, "refunds need approval");
  sdk = createWardenClient({ url: warden.base, apiKey: warden.apiKey, jwks: warden.jwks, logger: silent });
  await sdk.pollNow();
  audit = createAuditReporter({ url: warden.base, apiKey: warden.apiKey, logger: silent, flushIntervalMs: 60_000 });
  const approvals = createApprovalClient({ url: warden.base, apiKey: warden.apiKey, logger: silent, backoff: { baseMs: 50, maxMs: 200 } });
  mcp = await startReferenceMcpServer({ enforce: { warden: sdk, audit, approvals, approvalExpiresInSeconds: 2, issuer: issuer.issuer, resource: RESOURCE } });
});

afterAll(async () => {
  sdk.close();
  await audit.close();
  await mcp.close();
  await issuer.close();
  await warden.close();
});

async function connect() {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read tools:sales.write" });
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** Plays the approver: decides the next request that shows up. */
async function decideNext(decision: "approve" | "deny", note = "") {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pending = await warden.db.approvalRequest.findFirst({ where: { status: "PENDING" } });
    if (pending) return decideApproval(warden.db, { ...warden.actor, role: "OWNER" }, warden.environment.id, { id: pending.id, decision, note });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("No approval request showed up.");
}

describe("the reference MCP server, with calls that need a human's approval", () => {
  it("holds a risky call until it is approved, then runs it, and the audit trail tells it in order", async () => {
    const client = await connect();
    const [result, decided] = await Promise.all([client.callTool({ name: "refund_payment", arguments: { paymentId: "PAY-9", amount: 42 } }), decideNext("approve", "fine")]);
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("refunded 42 on PAY-9");
    await audit.flush();
    const events = await warden.db.auditEvent.findMany({ where: { tool: "refund_payment" }, orderBy: { seq: "asc" } });
    expect(events.map((event) => event.action)).toEqual(["approval.requested", "approval.approved", "approval.consumed", "tool.call"]);
    expect(new Set(events.map((event) => event.requestId)).size).toBe(1);
    expect(events.at(-1)).toMatchObject({ decision: "allow", details: expect.objectContaining({ approvalId: decided.id }) });
    await client.close();
  });

  it("refuses a denied call with the approver's comment, and an expired one", async () => {
    const client = await connect();
    const [denied] = await Promise.all([client.callTool({ name: "refund_payment", arguments: { paymentId: "PAY-9", amount: 42 } }), decideNext("deny", "Not this customer")]);
    expect(denied).toMatchObject({ isError: true, content: [{ text: "Denied by Warden (approval_denied): Denied by owner@example.com: Not this customer" }] });
    const expired = await client.callTool({ name: "refund_payment", arguments: { paymentId: "PAY-9", amount: 42 } });
    expect(expired).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/^Denied by Warden \(approval_expired\)/) }] });
    await client.close();
  });
});
