import { hasRole, type AdminRole } from "@/lib/auth/admin-roles";
import type * as SessionModule from "@/lib/auth/session";

/** The signed-in admin a test chooses: a role, or null for no session. Read at every call, so a test can change it. */
export type TestSession = { role: AdminRole | null };

export const TEST_ADMIN_ID = "0190c0de-0000-7000-8000-000000000001";

/**
 * A stand-in for `@/lib/auth/session` whose `requireAdmin` answers as the
 * real one does in "throw" mode, for an admin of `session.role`; everything
 * else is the real module. vi.mock is hoisted above the imports of a test
 * file, so the factory loads this module itself:
 *
 *   const session = vi.hoisted(() => ({ role: "VIEWER" as AdminRole | null }));
 *   vi.mock("@/lib/auth/session", async (importOriginal) =>
 *     (await import("@/lib/auth/testing/session-mock")).sessionMock(importOriginal, session));
 */
export async function sessionMock(importOriginal: <T>() => Promise<T>, session: TestSession): Promise<typeof SessionModule> {
  const actual = await importOriginal<typeof SessionModule>();
  return {
    ...actual,
    requireAdmin: async (minRole: AdminRole = "VIEWER") => {
      if (!session.role) throw new actual.AccessError(401, "Your session has ended. Sign in again.");
      if (!hasRole(session.role, minRole)) throw new actual.AccessError(403, `Your role (${session.role}) does not allow this. It needs ${minRole} or above.`);
      return { id: TEST_ADMIN_ID, email: "admin@example.com", name: null, role: session.role, version: 1, hasPassword: true };
    },
  };
}
