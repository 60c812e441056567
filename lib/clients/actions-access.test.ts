import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AdminRole } from "@/lib/auth/roles";

// The client actions are public endpoints: whatever the page showed, each
// must refuse a role below ADMIN before touching anything. The session is
// replaced by one whose role the test chooses; nothing else is mocked.
const session = vi.hoisted(() => ({ role: "VIEWER" as AdminRole }));
vi.mock("@/lib/auth/session", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/auth/session")>();
  const { hasRole } = await import("@/lib/auth/roles");
  return {
    ...actual,
    requireAdmin: async (minRole: AdminRole) => {
      if (!hasRole(session.role, minRole)) throw new actual.AccessError(403, `Your role (${session.role}) does not allow this. It needs ${minRole} or above.`);
      return { id: "0190c0de-0000-7000-8000-000000000001", email: "someone@example.com", role: session.role };
    },
  };
});
const domain = vi.hoisted(() => ({ deleted: 0 }));
vi.mock("@/lib/clients/clients", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/clients/clients")>()),
  deleteClient: async () => {
    domain.deleted++;
    return { clientId: "https://agent.example/client.json", status: "APPROVED" };
  },
}));

const { deleteClientAction } = await import("@/app/(admin)/[env]/clients/actions");
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
