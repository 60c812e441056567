import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AdminRole } from "@/lib/auth/admin-roles";

// The client actions are public endpoints: whatever the page showed, each
// must refuse a role below ADMIN before touching anything. The session is
// replaced by one whose role the test chooses; nothing else is mocked.
const session = vi.hoisted(() => ({ role: "VIEWER" as AdminRole }));
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
const domain = vi.hoisted(() => ({ deleted: 0, registered: 0, updated: 0 }));
vi.mock("@/lib/clients/clients", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/clients/clients")>()),
  deleteClient: async () => {
    domain.deleted++;
    return { clientId: "https://agent.example/client.json", status: "APPROVED" };
  },
}));

vi.mock("@/lib/clients/pre-registered", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/clients/pre-registered")>()),
  registerPreRegisteredClient: async () => {
    domain.registered++;
    return { id: "0190c0de-0000-7000-8000-000000000000", status: "PENDING" };
  },
  updatePreRegisteredClient: async () => {
    domain.updated++;
    return { version: 2 };
  },
}));

const { deleteClientAction, registerPreRegisteredClientAction, updatePreRegisteredClientAction } = await import("@/actions/clients");
const input = { environment: "dev", id: "0190c0de-0000-7000-8000-000000000000", version: 1, reason: "retired" };

describe("deleting a client needs ADMIN", () => {
  beforeEach(() => {
    domain.deleted = 0;
  });

  it.each(["VIEWER", "AUDITOR"] as const)("refuses a %s before anything is deleted", async (role) => {
    session.role = role;
    expect(await deleteClientAction(input)).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`Your role \\(${role}\\) does not allow this`)) });
    expect(domain.deleted).toBe(0);
  });

  it("refuses an ADMIN's request without a reason as a form error", async () => {
    session.role = "ADMIN";
    const result = await deleteClientAction({ ...input, reason: "" });
    expect(result).toMatchObject({ ok: false, fieldErrors: { reason: [expect.stringMatching(/Say why/)] } });
    expect(domain.deleted).toBe(0);
  });
});

describe("registering and describing a pre-registered client needs ADMIN", () => {
  const registration = { environment: "dev", clientId: "0oa1b2c3d4", displayName: "Sales assistant", owner: "Revenue", decision: "pending", scopeCeiling: [], restrictTools: false, allowedTools: [] };
  const details = { environment: "dev", id: "0190c0de-0000-7000-8000-000000000000", version: 1, displayName: "Sales assistant", owner: "Revenue", redirectUris: [] };
  beforeEach(() => {
    domain.registered = 0;
    domain.updated = 0;
  });

  it.each(["VIEWER", "AUDITOR"] as const)("refuses a %s before anything is written", async (role) => {
    session.role = role;
    expect(await registerPreRegisteredClientAction(registration)).toEqual({ ok: false, error: expect.stringMatching(/does not allow this/) });
    expect(await updatePreRegisteredClientAction(details)).toEqual({ ok: false, error: expect.stringMatching(/does not allow this/) });
    expect([domain.registered, domain.updated]).toEqual([0, 0]);
  });

  it("answers an ADMIN's https client_id with a form error pointing to CIMD registration", async () => {
    session.role = "ADMIN";
    const result = await registerPreRegisteredClientAction({ ...registration, clientId: "https://agent.example/client.json" });
    expect(result).toMatchObject({ ok: false, fieldErrors: { clientId: [expect.stringMatching(/register it as a CIMD client/)] } });
    expect(domain.registered).toBe(0);
  });
});
