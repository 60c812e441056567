import "server-only";
import { getServerSession } from "next-auth/next";
import { forbidden, redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { buildAuthOptions } from "./options";
import { hasRole, type AdminRole } from "./admin-roles";
import { isSessionLive, SessionClaimsSchema } from "./sessions";

export type CurrentAdmin = {
  id: string;
  email: string;
  name: string | null;
  role: AdminRole;
  version: number;
  /** False for single sign-on accounts, which have no password here to change. */
  hasPassword: boolean;
};

/** Thrown by requireAdmin in "throw" mode; route handlers and actions turn it into a 401/403 answer. */
export class AccessError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The signed-in, enabled admin as the database sees them now, or null. A
 * session that was signed out, or ended by a password change, a role change,
 * disable/enable or "sign out everywhere", is no session.
 */
export async function getCurrentAdmin(): Promise<CurrentAdmin | null> {
  // A token without a session's claims (one from before sessions could end) is no session.
  const claims = SessionClaimsSchema.safeParse(await getServerSession(buildAuthOptions()));
  if (!claims.success) return null;
  const admin = await getDb().admin.findUnique({
    where: { id: claims.data.adminId },
    select: {
      id: true, email: true, name: true, role: true, version: true, disabledAt: true,
      sessionGeneration: true, endedSessions: true, passwordHash: true,
    },
  });
  if (!admin || admin.disabledAt || !isSessionLive(admin, claims.data)) return null;
  return { id: admin.id, email: admin.email, name: admin.name, role: admin.role, version: admin.version, hasPassword: admin.passwordHash !== null };
}

/**
 * The one access check: every page, server action and route handler calls it
 * before touching data. Pages redirect to sign-in or render "forbidden";
 * actions and route handlers pass { onFail: "throw" } and answer with the error.
 */
export async function requireAdmin(minRole: AdminRole = "VIEWER", options: { onFail?: "redirect" | "throw" } = {}): Promise<CurrentAdmin> {
  const admin = await getCurrentAdmin();
  const mode = options.onFail ?? "redirect";
  if (!admin) {
    if (mode === "throw") throw new AccessError(401, "Your session has ended. Sign in again.");
    redirect("/login");
  }
  if (!hasRole(admin.role, minRole)) {
    if (mode === "throw") throw new AccessError(403, `Your role (${admin.role}) does not allow this. It needs ${minRole} or above.`);
    forbidden();
  }
  return admin;
}
