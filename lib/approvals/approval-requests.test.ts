import { expect, it } from "vitest";
import { buildPublishedConfig } from "@/lib/config/snapshot";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { loadPolicySnapshot } from "@/lib/policy/load";
import type { AdminRole } from "@/lib/auth/admin-roles";
import { ApprovalSettingsSchema, canApprove, decideApproval, listApprovals, needsApproval, openApproval, pendingApprovalCounts, updateApprovalSettings } from "./approval-requests";

const DIGEST = `sha256:${"a".repeat(64)}`;

it("needs approval when a tool is flagged, or at or above the environment's risk tier", () => {
  expect(needsApproval({ requiresApproval: true, riskTier: "LOW" }, null)).toBe(true);
  expect(needsApproval({ requiresApproval: false, riskTier: "CRITICAL" }, null)).toBe(false);
  expect(needsApproval({ requiresApproval: false, riskTier: "HIGH" }, "HIGH")).toBe(true);
  expect(needsApproval({ requiresApproval: false, riskTier: "CRITICAL" }, "MEDIUM")).toBe(true);
  expect(needsApproval({ requiresApproval: false, riskTier: "MEDIUM" }, "HIGH")).toBe(false);
});

it("lets only ADMIN-or-higher admins at or above the approver role decide", () => {
  expect(canApprove("ADMIN", "ADMIN")).toBe(true);
  expect(canApprove("OWNER", "ADMIN")).toBe(true);
  expect(canApprove("ADMIN", "OWNER")).toBe(false);
  expect(canApprove("AUDITOR", "ADMIN")).toBe(false);
  expect(canApprove("VIEWER", "ADMIN")).toBe(false);
  // AUDITOR and VIEWER can never be made approvers.
  expect(ApprovalSettingsSchema.safeParse({ approverRole: "VIEWER", approvalRiskTier: null, approvalTtlSeconds: 600 }).success).toBe(false);
});

describeEachDatabase("approval decisions", (t) => {
  async function setup() {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "refund_payment", riskTier: "HIGH" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "get_invoice", riskTier: "LOW" } });
    const admins = {} as Record<AdminRole, { id: string; email: string; role: AdminRole }>;
    for (const role of ["OWNER", "ADMIN", "AUDITOR", "VIEWER"] as const) {
      const admin = await t.db.admin.create({ data: { email: `${role.toLowerCase()}@example.com`, role } });
      admins[role] = { id: admin.id, email: admin.email, role };
    }
    const key = { id: "k", environmentId: environment.id, environmentKey: "prod", serverId: server.id, serverName: "sales", label: "pod" };
    const open = () => openApproval(t.db, key, { subject: "alice", tool: "refund_payment", argumentsDigest: DIGEST, argumentsPreview: { amount: 1 } });
    return { environment, admins, open };
  }

  it("refuses VIEWER and AUDITOR, and ADMIN when the environment's approvers are owners", async () => {
    const { environment, admins, open } = await setup();
    const { id } = await open();
    for (const role of ["VIEWER", "AUDITOR"] as const) {
      await expect(decideApproval(t.db, admins[role], environment.id, { id, decision: "approve", note: "" })).rejects.toMatchObject({ status: 403 });
    }
    await updateApprovalSettings(t.db, admins.OWNER, environment.id, { approverRole: "OWNER", approvalRiskTier: null, approvalTtlSeconds: 600 });
    await expect(decideApproval(t.db, admins.ADMIN, environment.id, { id, decision: "approve", note: "" })).rejects.toThrow(/Only owners may decide/);
    expect((await decideApproval(t.db, admins.OWNER, environment.id, { id, decision: "approve", note: "" })).status).toBe("APPROVED");
    const settingsEvent = await t.db.auditEvent.findFirstOrThrow({ where: { action: "environment.approval_settings" } });
    expect(settingsEvent).toMatchObject({ actor: admins.OWNER.id, environmentId: environment.id, details: { before: { approverRole: "ADMIN" }, after: { approverRole: "OWNER" } } });
  });

  it("tells the second of two approvers deciding at once that it was already decided, and records one decision", async () => {
    const { environment, admins, open } = await setup();
    const { id } = await open();
    const results = await Promise.allSettled([
      decideApproval(t.db, admins.OWNER, environment.id, { id, decision: "approve", note: "" }),
      decideApproval(t.db, admins.ADMIN, environment.id, { id, decision: "deny", note: "no" }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 409, code: "already_decided" });
    expect(rejected.reason.message).toMatch(/^Already decided: (approved|denied) by (owner|admin)@example.com/);
    expect(await t.db.auditEvent.count({ where: { action: { in: ["approval.approved", "approval.denied"] } } })).toBe(1);
  });

  it("wants a comment for a denial, and refuses a request of another environment", async () => {
    const { environment, admins, open } = await setup();
    const { id } = await open();
    await expect(decideApproval(t.db, admins.ADMIN, environment.id, { id, decision: "deny", note: "" })).rejects.toThrow(/Say why/);
    const other = await t.db.environment.create({ data: { key: "dev", name: "Dev" } });
    await expect(decideApproval(t.db, admins.ADMIN, other.id, { id, decision: "approve", note: "" })).rejects.toMatchObject({ status: 404 });
    expect((await t.db.approvalRequest.findUniqueOrThrow({ where: { id } })).status).toBe("PENDING");
  });

  it("lists the pending queue with its count, and the sidebar count per environment", async () => {
    const { environment, admins, open } = await setup();
    const first = await open();
    await open();
    await decideApproval(t.db, admins.ADMIN, environment.id, { id: first.id, decision: "approve", note: "" });
    const queue = await listApprovals(t.db, environment.id, { status: "PENDING" });
    expect(queue.pending).toBe(1);
    expect(queue.rows).toHaveLength(1);
    expect(queue.rows[0]).toMatchObject({ argumentsPreview: { amount: 1 }, status: "PENDING" });
    expect((await listApprovals(t.db, environment.id, { status: "all" })).rows).toHaveLength(2);
    expect((await pendingApprovalCounts(t.db)).get(environment.id)).toBe(1);
  });

  it("pages the history newest first, 50 at a time, without repeating or skipping a request", async () => {
    const { environment, open } = await setup();
    const opened = [];
    for (let i = 0; i < 53; i++) opened.push((await open()).id);
    const first = await listApprovals(t.db, environment.id, { status: "all" });
    expect(first.rows).toHaveLength(50);
    expect(first.older).toEqual(expect.any(String));
    const second = await listApprovals(t.db, environment.id, { status: "all", before: first.older! });
    expect(second.rows).toHaveLength(3);
    expect(second.older).toBeNull();
    expect(new Set([...first.rows, ...second.rows].map((row) => row.id))).toEqual(new Set(opened));
    // The waiting queue is not paged: it is bounded by expiry.
    expect((await listApprovals(t.db, environment.id, { status: "PENDING" })).rows).toHaveLength(53);
  });

  it("folds the environment's risk-tier threshold into each tool's requiresApproval, in the draft and the published config", async () => {
    const { environment, admins } = await setup();
    const flags = async () => Object.fromEntries((await loadPolicySnapshot(t.db, environment.id)).tools.map((tool) => [tool.name, tool.requiresApproval]));
    expect(await flags()).toEqual({ get_invoice: false, refund_payment: false });
    await updateApprovalSettings(t.db, admins.OWNER, environment.id, { approverRole: "ADMIN", approvalRiskTier: "HIGH", approvalTtlSeconds: 300 });
    expect(await flags()).toEqual({ get_invoice: false, refund_payment: true });
    const published = await buildPublishedConfig(t.db, environment.id);
    expect(published.policy.tools.find((tool) => tool.name === "refund_payment")?.requiresApproval).toBe(true);
    await updateApprovalSettings(t.db, admins.OWNER, environment.id, { approverRole: "ADMIN", approvalRiskTier: "LOW", approvalTtlSeconds: 300 });
    expect(await flags()).toEqual({ get_invoice: true, refund_payment: true });
  });
});
