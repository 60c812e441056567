import { AccessError, requireAdmin, type CurrentAdmin } from "@/lib/auth/session";
import type { AdminRole } from "@/lib/auth/admin-roles";

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
