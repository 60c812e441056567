import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AdminRole } from "@/lib/auth/admin-roles";

// The notification and streaming actions are public endpoints: each must
// refuse a role below ADMIN, and bad input, before touching anything. The
// session is replaced by one whose role the test chooses, and the domain
// calls are counted.
const session = vi.hoisted(() => ({ role: "VIEWER" as AdminRole }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock("@/lib/notifications/webhooks", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/notifications/webhooks")>();
  const counted = async () => {
    calls.count++;
    return { id: "x", secret: "whsec_x" };
  };
  return { ...actual, createWebhook: counted, updateWebhook: counted, rotateWebhookSecret: counted, deleteWebhook: counted, sendTestEvent: counted, resendDelivery: counted };
});
vi.mock("@/lib/audit-stream/stream", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/audit-stream/stream")>()),
  saveAuditStream: async () => void calls.count++,
  deleteAuditStream: async () => void calls.count++,
}));

const webhookActions = await import("@/actions/notifications");
const streamActions = await import("@/actions/audit-stream");
const ID = "0190c0de-0000-7000-8000-000000000000";
const valid = {
  create: () => webhookActions.createWebhookAction({ environment: "dev", name: "ops", url: "https://hooks.example.com/x", events: ["approval.requested"] }),
  update: () => webhookActions.updateWebhookAction({ environment: "dev", id: ID, enabled: false }),
  rotate: () => webhookActions.rotateWebhookSecretAction({ environment: "dev", id: ID }),
  delete: () => webhookActions.deleteWebhookAction({ environment: "dev", id: ID }),
  test: () => webhookActions.sendTestEventAction({ environment: "dev", id: ID }),
  resend: () => webhookActions.resendDeliveryAction({ environment: "dev", webhookId: ID, deliveryId: ID }),
  stream: () => streamActions.saveAuditStreamAction({ environment: "dev", endpoint: "https://otel.example.com/v1/logs" }),
  stopStream: () => streamActions.deleteAuditStreamAction({ environment: "dev" }),
};

describe("notification actions need ADMIN", () => {
  beforeEach(() => {
    calls.count = 0;
  });

  for (const role of ["VIEWER", "AUDITOR"] as const) {
    it.each(Object.keys(valid))(`refuses a ${role}: %s`, async (name) => {
      session.role = role;
      expect(await valid[name as keyof typeof valid]()).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`Your role \\(${role}\\) does not allow this`)) });
      expect(calls.count).toBe(0);
    });
  }

  it("turns bad input into form errors, never into a call", async () => {
    session.role = "ADMIN";
    expect(await webhookActions.createWebhookAction({ environment: "dev", name: "", url: "ftp://x", events: ["nope"] })).toMatchObject({
      ok: false,
      fieldErrors: { name: [expect.any(String)], url: [expect.stringMatching(/https/)], "events.0": [expect.any(String)] },
    });
    expect(await webhookActions.resendDeliveryAction({ environment: "dev", webhookId: "not-a-uuid", deliveryId: ID })).toMatchObject({ ok: false, fieldErrors: { webhookId: [expect.any(String)] } });
    expect(await streamActions.saveAuditStreamAction({ environment: "dev", endpoint: "https://otel.example.com/v1/logs", headers: "no colon here" })).toMatchObject({ ok: false, fieldErrors: { headers: [expect.stringMatching(/Name: value/)] } });
    expect(await webhookActions.createWebhookAction({ environment: "dev", name: "x\u0000", url: "https://hooks.example.com", events: ["approval.requested"] })).toMatchObject({ ok: false });
    expect(calls.count).toBe(0);
  });
});
