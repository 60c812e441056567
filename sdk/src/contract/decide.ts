import type { ClaimValue, Decision, DecisionReason, DecisionRequest, PolicyClient, PolicyGrant, PolicyRole, PolicySnapshot } from "./policy.ts";

// Pure: no I/O, no clock, no randomness, no Node built-ins. The same snapshot
// and request always give the same decision, wherever it runs.

/** "server/tool": how Client.allowedTools names a tool. */
export function qualifiedToolName(server: string, tool: string): string {
  return `${server}/${tool}`;
}

/**
 * The snapshot's roles that these claims confer, by name, sorted. A role
 * matches when the claim named by its claimName holds its claimValue: an
 * array claim must contain it; a string claim must equal it or contain it
 * as one of its space-separated words (the OAuth "scope" convention).
 */
export function rolesFromClaims(roles: readonly PolicyRole[], claims: Readonly<Record<string, ClaimValue>> | undefined): string[] {
  if (!claims) return [];
  const matched = new Set<string>();
  for (const role of roles) {
    // Own properties only: a claim named "constructor" must not reach Object.prototype.
    if (!Object.prototype.hasOwnProperty.call(claims, role.claimName)) continue;
    if (claimHolds(claims[role.claimName], role.claimValue)) matched.add(role.name);
  }
  return [...matched].sort();
}

function claimHolds(value: ClaimValue | undefined, expected: string): boolean {
  // An empty mapping value would otherwise match every empty claim.
  if (expected === "") return false;
  if (Array.isArray(value)) return value.includes(expected);
  if (typeof value !== "string") return false;
  return value === expected || value.split(/\s+/).includes(expected);
}

/**
 * May this subject, through this client, call this tool? Deny by default;
 * the checks run in this order and the first that fails decides:
 *
 * 1. the tool exists on that server              → unknown_tool
 * 2. it is enabled                               → tool_disabled
 * 3. its live definition is the approved one     → tool_changed_since_approval
 * 4. the client is registered                    → unknown_client
 * 5. the client is APPROVED                      → client_not_approved
 * 6. the client may use this tool                → client_tool_not_allowed
 * 7. one of the subject's roles has a grant      → no_grant
 * 8. the token's scopes, within the client's
 *    ceiling, cover that grant's required scopes → missing_scope
 *
 * Otherwise allow, naming the grant: of those satisfied, the one needing the
 * fewest scopes, then by role name.
 */
export function decide(snapshot: PolicySnapshot, request: DecisionRequest): Decision {
  const knownRoles = new Set(snapshot.roles.map((role) => role.name));
  const matchedRoles = [...new Set([...(request.roles ?? []).filter((name) => knownRoles.has(name)), ...rolesFromClaims(snapshot.roles, request.claims)])].sort();
  const client = snapshot.clients.find((candidate) => candidate.clientId === request.clientId);
  const effectiveScopes = scopesWithinCeiling(request.scopes, client);
  const base = { matchedRoles, effectiveScopes, requiresApproval: false, configVersion: snapshot.version ?? null };
  const deny = (reason: DecisionReason, message: string, extra: Partial<Decision> = {}): Decision => ({ ...base, decision: "deny", reason, message, ...extra });
  const toolLabel = qualifiedToolName(request.server, request.tool);

  const tool = snapshot.tools.find((candidate) => candidate.server === request.server && candidate.name === request.tool);
  if (!tool) return deny("unknown_tool", `There is no tool "${request.tool}" on server "${request.server}" in ${snapshot.environment}.`);
  if (!tool.enabled) return deny("tool_disabled", `${toolLabel} is disabled, so nobody may call it.`);
  if (!tool.approved) {
    return deny(
      "tool_changed_since_approval",
      `${toolLabel} is not approved in its current form: its definition is new or has changed since an admin approved it. Review it under Servers & Tools.`,
    );
  }

  if (!client) return deny("unknown_client", `The client ${request.clientId || "(none)"} is not registered in ${snapshot.environment}. Only registered, approved clients may call tools.`);
  if (client.status !== "APPROVED") {
    return deny("client_not_approved", `${clientLabel(client)} is ${CLIENT_STATUS_WORDS[client.status]}; only approved clients may call tools.`);
  }
  if (client.restrictTools && !client.allowedTools.includes(toolLabel)) {
    return deny("client_tool_not_allowed", `${clientLabel(client)} is limited to specific tools, and ${toolLabel} is not one of them.`);
  }

  const held = new Set(matchedRoles);
  const grants = snapshot.grants.filter((grant) => held.has(grant.role) && grant.server === tool.server && grant.tool === tool.name);
  if (grants.length === 0) {
    return deny(
      "no_grant",
      matchedRoles.length === 0
        ? `The subject holds no role in ${snapshot.environment}, and calling ${toolLabel} needs a role with a grant for it.`
        : `None of the subject's roles (${matchedRoles.join(", ")}) has a grant for ${toolLabel}.`,
    );
  }

  const available = new Set(effectiveScopes);
  const candidates = grants
    .map((grant) => ({ grant, missing: [...new Set(grant.requiredScopes)].filter((scope) => !available.has(scope)).sort() }))
    .sort((a, b) => a.missing.length - b.missing.length || a.grant.requiredScopes.length - b.grant.requiredScopes.length || compare(a.grant.role, b.grant.role));
  const best = candidates[0]!;
  if (best.missing.length > 0) {
    const outsideCeiling = best.missing.filter((scope) => request.scopes.includes(scope));
    return deny(
      "missing_scope",
      `Role ${best.grant.role} may call ${toolLabel} only with the scope${best.missing.length > 1 ? "s" : ""} ${best.missing.join(", ")}, which the token does not carry.` +
        (outsideCeiling.length > 0 ? ` The token has ${outsideCeiling.join(", ")}, but the client's scope ceiling excludes ${outsideCeiling.length > 1 ? "them" : "it"}.` : ""),
      { grant: copyGrant(best.grant), missingScopes: best.missing },
    );
  }
  return {
    ...base,
    decision: "allow",
    reason: "allowed_by_grant",
    message:
      `Allowed by the grant of ${toolLabel} to role ${best.grant.role}` +
      (best.grant.requiredScopes.length > 0 ? `, with the scopes ${[...new Set(best.grant.requiredScopes)].sort().join(", ")}.` : `, which needs no scope.`) +
      (tool.requiresApproval ? " Each call still waits for a human's approval." : ""),
    grant: copyGrant(best.grant),
    requiresApproval: tool.requiresApproval,
  };
}

function scopesWithinCeiling(scopes: readonly string[], client: PolicyClient | undefined): string[] {
  const ceiling = client && client.scopeCeiling.length > 0 ? new Set(client.scopeCeiling) : null;
  return [...new Set(scopes)].filter((scope) => scope !== "" && (!ceiling || ceiling.has(scope))).sort();
}

// Says which kind, so an admin reading a denial knows where the client is described.
function clientLabel(client: PolicyClient): string {
  return client.kind === "PRE_REGISTERED" ? `The pre-registered client ${client.clientId}` : `The client ${client.clientId}`;
}

const CLIENT_STATUS_WORDS: Record<PolicyClient["status"], string> = {
  PENDING: "pending review",
  APPROVED: "approved",
  REJECTED: "rejected",
  SUSPENDED: "suspended",
};

// A copy, so that a caller who edits the decision cannot edit the snapshot.
function copyGrant(grant: PolicyGrant): PolicyGrant {
  return { role: grant.role, server: grant.server, tool: grant.tool, requiredScopes: [...grant.requiredScopes] };
}

// Code-unit order, not locale order: the same everywhere the function runs.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
