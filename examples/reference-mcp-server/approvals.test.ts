import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "@/lib/approvals/approval-requests";
import { AGENT, RESOURCE, startReferenceStack, type ReferenceStack } from "./testing/stack";

let stack: ReferenceStack;

beforeAll(async () => {
  stack = await startReferenceStack({
    // refund_payment is CRITICAL: the environment's HIGH threshold makes every call to it wait for a human.
    prepare: (warden) =>
      warden.publish(async (db) => {
        await db.environment.update({ where: { id: warden.environment.id }, data: { approvalRiskTier: "HIGH" } });
        await db.grant.create({ data: { roleId: warden.analyst.id, toolId: warden.tools.refund.id, requiredScopes: ["tools:sales.write"] } });
      }, "refunds need approval"),
    pollFirst: true,
    approvals: { expiresInSeconds: 2 },
  });
});

afterAll(async () => {
  await stack?.close();
});

async function connect() {
  return stack.connect(await stack.issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read tools:sales.write" }));
}

/** Plays the approver: decides the next request that shows up. */
async function decideNext(decision: "approve" | "deny", note = "") {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pending = await stack.warden.db.approvalRequest.findFirst({ where: { status: "PENDING" } });
    if (pending) return decideApproval(stack.warden.db, { ...stack.warden.actor, role: "OWNER" }, stack.warden.environment.id, { id: pending.id, decision, note });
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
    await stack.audit.flush();
    const events = await stack.warden.db.auditEvent.findMany({ where: { tool: "refund_payment" }, orderBy: { seq: "asc" } });
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
