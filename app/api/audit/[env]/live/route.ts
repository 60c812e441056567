import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { AuditFilterSchema, auditEventsStoredAfter, LivePositionSchema } from "@/lib/audit/query";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { isEnvironmentKey } from "@/lib/environments/key";

// The Audit page's live mode polls this for events stored since it last looked.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function GET(request: Request, { params }: { params: Promise<{ env: string }> }): Promise<Response> {
  const auth = await authenticateRoute("AUDITOR");
  if (!auth.ok) return auth.response;
  const search = new URL(request.url).searchParams;
  const since = LivePositionSchema.safeParse(search.get("since"));
  if (!since.success) return json(400, { error: since.error.issues[0]!.message });
  const { env } = await params;
  const db = getDb();
  const environment = isEnvironmentKey(env) ? await findEnvironment(db, env) : null;
  if (!environment) return json(404, { error: `There is no environment "${env}".` });
  return json(200, await auditEventsStoredAfter(db, environment.id, AuditFilterSchema.parse(Object.fromEntries(search)), since.data));
}

// A method the route does not offer; the session is still checked first.
export const POST = methodNotAllowed("AUDITOR", "GET", "Use GET.");
