import { authenticateRoute, databaseUnavailable, methodNotAllowed } from "@/lib/http/route-auth";
import { isDatabaseUnavailable } from "@/lib/db/availability";
import { getDb } from "@/lib/db/client";
import { findEnvironment } from "@/lib/environments/environments";
import { readJsonBody } from "@/lib/http/json-body";
import { decide } from "@/sdk/src/contract/decide";
import { loadPolicySnapshot } from "@/lib/policy/load";
import { DECISION_BODY_MAX_BYTES, DecisionApiRequestSchema, fieldErrorsOf, toDecisionRequest } from "@/lib/policy/request-schema";

// The decision explainer: "may this subject, through this client, call this
// tool, and why?", evaluated against the environment's current draft. Only a
// signed-in admin (any role: it changes nothing) may ask. MCP servers never
// call it: they decide locally, with the same function, from the signed
// config they poll, so a call never waits on Warden.

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

export async function POST(request: Request): Promise<Response> {
  const auth = await authenticateRoute("VIEWER");
  if (!auth.ok) return auth.response;

  const body = await readJsonBody(request, DECISION_BODY_MAX_BYTES);
  if (!body.ok) return json(body.status, { error: body.error });
  const parsed = DecisionApiRequestSchema.safeParse(body.value);
  if (!parsed.success) return json(400, { error: "Some fields need attention.", fieldErrors: fieldErrorsOf(parsed.error) });

  const db = getDb();
  const { environment: environmentKey, ...input } = parsed.data;
  let environment, snapshot;
  try {
    environment = await findEnvironment(db, environmentKey);
    if (!environment) {
      return json(400, { error: "Some fields need attention.", fieldErrors: { environment: [`There is no environment "${environmentKey}".`] } });
    }
    snapshot = await loadPolicySnapshot(db, environment.id);
  } catch (error) {
    if (isDatabaseUnavailable(error)) return databaseUnavailable();
    throw error;
  }
  const decision = decide(snapshot, toDecisionRequest(input));
  return json(200, {
    environment: environment.key,
    decision: decision.decision,
    reason: decision.reason,
    message: decision.message,
    grant: decision.grant ?? null,
    missingScopes: decision.missingScopes ?? [],
    matchedRoles: decision.matchedRoles,
    effectiveScopes: decision.effectiveScopes,
    requiresApproval: decision.requiresApproval,
    configVersion: decision.configVersion,
  });
}

// A method the route does not offer; the session is still checked first.
const notAllowed = methodNotAllowed("VIEWER", "POST", "Use POST with a JSON body.");
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
