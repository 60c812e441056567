import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "../../lib/approvals/approval-requests";
import { canonicalJson, sha256Hex } from "../src/contract/canonical-json.ts";
import { argumentsDigest, argumentsPreview, createApprovalClient, type ApprovalClient } from "../src/index";
import { startWardenFixture, type WardenFixture } from "./warden-fixture";

const silent = { info() {}, warn() {}, error() {} };
const ARGS = { paymentId: "PAY-1", amount: 120 };

let warden: WardenFixture;
let approvals: ApprovalClient;

beforeAll(async () => {
  warden = await startWardenFixture();
  approvals = createApprovalClient({ url: warden.base, apiKey: warden.apiKey, logger: silent, backoff: { baseMs: 50, maxMs: 200 } });
});
afterAll(async () => warden.close());

/** Decides as the fixture's owner once the request shows up. */
function decideWhenOpened(decision: "approve" | "deny", note = "") {
  return (approval: { id: string }) =>
    void setTimeout(() => void decideApproval(warden.db, { ...warden.actor, role: "OWNER" }, warden.environment.id, { id: approval.id, decision, note }), 150);
}

describe("argument digest and preview", () => {
  it("hashes the canonical JSON, so key order does not matter and any change does", () => {
    expect(argumentsDigest({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(`sha256:${sha256Hex(canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }))}`);
    expect(argumentsDigest({ amount: 1, paymentId: "P" })).toBe(argumentsDigest({ paymentId: "P", amount: 1 }));
    expect(argumentsDigest({ amount: 2, paymentId: "P" })).not.toBe(argumentsDigest({ paymentId: "P", amount: 1 }));
  });

  it("redacts secrets and bounds the preview", () => {
    expect(argumentsPreview({ card: "4111", apiKey: "sk_live_x", note: "Bearer abc.def" })).toEqual({ card: "4111", apiKey: "[redacted]", note: "[redacted]" });
    const big = argumentsPreview({ blob: "x".repeat(10_000) });
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(4 * 1024);
    expect(big.note).toMatch(/digest covers all of them/);
  });
});

describe("the approval flow against a real data plane", () => {
  it("waits, runs the call once approved, and refuses to reuse the approval", async () => {
    let runs = 0;
    const outcome = await approvals.runWithApproval({ subject: "alice", clientId: "https://agent.example/client.json", tool: "refund_payment", arguments: ARGS, requestId: "r-1" }, async () => ++runs, {
      onRequested: decideWhenOpened("approve"),
    });
    expect(outcome).toMatchObject({ ok: true, result: 1, approval: { status: "CONSUMED", decidedBy: "owner@example.com" } });
    expect(runs).toBe(1);
    const replay = approvals.consume(outcome.approval!.id, ARGS);
    await expect(replay).rejects.toMatchObject({ code: "already_used", status: 409 });
  });

  it("does not run a denied call, and passes the approver's comment on", async () => {
    let runs = 0;
    const outcome = await approvals.runWithApproval({ subject: "alice", tool: "refund_payment", arguments: ARGS }, async () => ++runs, { onRequested: decideWhenOpened("deny", "Too large") });
    expect(outcome).toMatchObject({ ok: false, code: "denied", message: "Denied by owner@example.com: Too large" });
    expect(runs).toBe(0);
  });

  it("stops waiting at the expiry and treats it as a denial", async () => {
    const started = Date.now();
    const outcome = await approvals.runWithApproval({ subject: "alice", tool: "refund_payment", arguments: ARGS, expiresInSeconds: 1 }, async () => "ran");
    expect(outcome).toMatchObject({ ok: false, code: "expired", approval: { status: "EXPIRED" } });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("refuses an approval spent on other arguments", async () => {
    const opened = await approvals.request({ subject: "alice", tool: "refund_payment", arguments: ARGS });
    await decideApproval(warden.db, { ...warden.actor, role: "OWNER" }, warden.environment.id, { id: opened.id, decision: "approve", note: "" });
    await expect(approvals.consume(opened.id, { ...ARGS, amount: 99_999 })).rejects.toMatchObject({ code: "arguments_changed" });
  });

  it("polls with backoff that never waits past the expiry", async () => {
    const times: number[] = [];
    const expiresAt = new Date(Date.now() + 1_000).toISOString();
    const pending = { id: "0190d2a8-0000-7000-8000-000000000000", status: "PENDING", expiresAt };
    const client = createApprovalClient({
      url: "http://warden.invalid",
      apiKey: "wdn_prod_x_y",
      logger: silent,
      backoff: { baseMs: 100, maxMs: 60_000 },
      random: () => 1,
      fetch: async () => {
        times.push(Date.now());
        const status = Date.now() >= Date.parse(expiresAt) ? "EXPIRED" : "PENDING";
        return new Response(JSON.stringify({ ...pending, status }), { status: 200 });
      },
    });
    const started = Date.now();
    const final = await client.waitForDecision(pending as never);
    expect(final.status).toBe("EXPIRED");
    // 100, 200, 400 ms, then capped by the expiry rather than waiting 800 ms and more.
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - started).toBeLessThan(1_600);
  });
});
