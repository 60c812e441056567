import { AccessError, requireAdmin, type CurrentAdmin } from "@/lib/auth/session";
import type { AdminRole } from "@/lib/auth/admin-roles";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "@/lib/db/availability";

const noStore = { "Cache-Control": "no-store" };

/**
 * The access check of a route handler: the signed-in admin, or the 401/403
 * to answer with (JSON, like every API answer, never a redirect).
 */
export async function authenticateRoute(minRole: AdminRole): Promise<{ ok: true; admin: CurrentAdmin } | { ok: false; response: Response }> {
  try {
    return { ok: true, admin: await requireAdmin(minRole, { onFail: "throw" }) };
  } catch (error) {
    if (error instanceof AccessError) return { ok: false, response: Response.json({ error: error.message }, { status: error.status, headers: noStore }) };
    // The session is checked against the database on every request: while it is unreachable, come back later (never a bare 500).
    if (isDatabaseUnavailable(error)) return { ok: false, response: databaseUnavailable() };
    throw error;
  }
}

/**
 * A handler for a method the route does not offer. It still checks the
 * session first, so that probing the route tells a stranger nothing.
 */
export function methodNotAllowed(minRole: AdminRole, allow: string, message: string) {
  return async (): Promise<Response> => {
    const auth = await authenticateRoute(minRole);
    if (!auth.ok) return auth.response;
    return Response.json({ error: message }, { status: 405, headers: { Allow: allow, ...noStore } });
  };
}

/** The answer of a route handler that needed the database while it was unreachable: 503 with Retry-After. */
export function databaseUnavailable(): Response {
  return Response.json(
    { error: `Warden's database is unreachable; retry in ${DATABASE_RETRY_AFTER_SECONDS} s.` },
    { status: 503, headers: { ...noStore, "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) } },
  );
}
