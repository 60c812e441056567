import { z } from "zod";
import { authenticateRoute, methodNotAllowed } from "@/lib/http/route-auth";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { isEnvironmentKey } from "@/lib/environments/key";
import { POLICY_SERIALIZATIONS, exportPolicy, serializePolicy } from "@/lib/policy-io/document";

// Downloads an environment's policy as a file. Reading changes nothing, so any
// signed-in admin may export; importing is a server action that needs ADMIN.

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

const QuerySchema = z.object({ format: z.enum(POLICY_SERIALIZATIONS, 'Choose format "json" or "yaml".').default("json") });
const CONTENT_TYPES = { json: "application/json; charset=utf-8", yaml: "application/yaml; charset=utf-8" } as const;

export async function GET(request: Request, { params }: { params: Promise<{ env: string }> }): Promise<Response> {
  const auth = await authenticateRoute("VIEWER");
  if (!auth.ok) return auth.response;

  const query = QuerySchema.safeParse({ format: new URL(request.url).searchParams.get("format") ?? undefined });
  if (!query.success) return json(400, { error: query.error.issues[0]!.message });
  const { env } = await params;
  const db = getDb();
  const environment = isEnvironmentKey(env) ? await findEnvironment(db, env) : null;
  if (!environment) return json(404, { error: `There is no environment "${env}".` });

  const { format } = query.data;
  const body = serializePolicy(await exportPolicy(db, environment.id), format);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": CONTENT_TYPES[format],
      "Content-Disposition": `attachment; filename="warden-policy-${environment.key}.${format}"`,
      "Cache-Control": "no-store",
    },
  });
}

// A method the route does not offer; the session is still checked first.
export const POST = methodNotAllowed("VIEWER", "GET", "Download the policy with GET; import it from the Policy page.");
