import { qualifiedToolName, rolesFromClaims } from "@/sdk/src/contract/decide";
import type { ClaimValue, PolicySnapshot } from "@/sdk/src/contract/policy";
import type { DelegationPolicy, ExchangeError, PolicyDelegation, PolicyDownstreamApi } from "./types";

// Pure: the same config and request always give the same answer, wherever it
// runs (the data plane answering POST /api/v1/token, Test access).

export type ExchangeRequest = {
  /** The MCP server asking: the name its API key belongs to. */
  server: string;
  /** The user: the subject token's `sub`. */
  subject: string;
  /** The agent: the subject token's `azp` / `client_id`. */
  clientId: string;
  /** The downstream API, by audience URI (or by name). */
  audience: string;
  /** The scopes asked for; empty: every scope the rules allow. */
  requestedScopes: string[];
  /** The scopes of the incoming (subject) token. */
  incomingScopes: string[];
  tool?: string | null;
  roles?: string[];
  claims?: Record<string, ClaimValue>;
};

export type ExchangeRule =
  | "granted"
  | "unknown_target"
  | "no_delegation"
  | "delegation_tool_required"
  | "delegation_tool_not_allowed"
  | "unknown_client"
  | "client_not_approved"
  | "client_tool_not_allowed"
  | "role_required"
  | "scope_not_allowed";

export type ExchangeDecision =
  | {
      ok: true;
      rule: "granted";
      message: string;
      api: PolicyDownstreamApi;
      delegation: PolicyDelegation;
      granted: string[];
      /** Asked for but left out, each with why. */
      dropped: { scope: string; why: string }[];
      configVersion: number | null;
    }
  | {
      ok: false;
      error: ExchangeError;
      rule: Exclude<ExchangeRule, "granted">;
      message: string;
      api?: PolicyDownstreamApi;
      dropped: { scope: string; why: string }[];
      configVersion: number | null;
    };

export const EMPTY_DELEGATION_POLICY: DelegationPolicy = { downstreamApis: [], delegations: [] };

/**
 * May server Z, for subject X via agent Y, get these scopes on this API?
 * Checks, first failing decides:
 * 1. the audience is a known downstream API        → invalid_target
 * 2. a delegation lets this server reach it        → invalid_target
 * 3. the delegation's tool list admits the tool    → invalid_target
 * 4. the agent is registered and approved          → unauthorized_client
 * 5. the agent is not restricted away from the tool → unauthorized_client
 * 6. the subject holds one of the delegation's roles → invalid_grant
 * 7. requested ∩ API scopes ∩ ceiling ∩ what the incoming scopes allow is not empty → invalid_scope
 */
export function decideExchange(policy: PolicySnapshot, delegation: DelegationPolicy, request: ExchangeRequest): ExchangeDecision {
  const configVersion = policy.version ?? null;
  const refuse = (error: ExchangeError, rule: Exclude<ExchangeRule, "granted">, message: string, extra: { api?: PolicyDownstreamApi; dropped?: { scope: string; why: string }[] } = {}): ExchangeDecision => ({
    ok: false,
    error,
    rule,
    message,
    dropped: extra.dropped ?? [],
    configVersion,
    ...(extra.api ? { api: extra.api } : {}),
  });

  const api = delegation.downstreamApis.find((candidate) => candidate.audience === request.audience) ?? delegation.downstreamApis.find((candidate) => candidate.name === request.audience);
  if (!api) return refuse("invalid_target", "unknown_target", `No downstream API with audience ${request.audience || "(none)"} is published in ${policy.environment}.`);

  const rule = delegation.delegations.find((candidate) => candidate.api === api.name && candidate.server === request.server);
  if (!rule) return refuse("invalid_target", "no_delegation", `No delegation lets server ${request.server} obtain tokens for ${api.name} in ${policy.environment}.`, { api });
  if (rule.tools.length > 0) {
    if (!request.tool) return refuse("invalid_target", "delegation_tool_required", `The delegation of ${api.name} to ${request.server} is limited to the tools ${rule.tools.join(", ")}; name the tool in the exchange.`, { api });
    if (!rule.tools.includes(request.tool)) return refuse("invalid_target", "delegation_tool_not_allowed", `The delegation of ${api.name} to ${request.server} is limited to the tools ${rule.tools.join(", ")}, and ${request.tool} is not one of them.`, { api });
  }

  const client = policy.clients.find((candidate) => candidate.clientId === request.clientId);
  if (!client) return refuse("unauthorized_client", "unknown_client", `The agent ${request.clientId || "(none)"} is not an approved client in ${policy.environment}.`, { api });
  if (client.status !== "APPROVED") return refuse("unauthorized_client", "client_not_approved", `The agent ${client.clientId} is ${client.status.toLowerCase()}; only approved agents may act through delegations.`, { api });
  if (request.tool && client.restrictTools && !client.allowedTools.includes(qualifiedToolName(request.server, request.tool))) {
    return refuse("unauthorized_client", "client_tool_not_allowed", `The agent ${client.clientId} is limited to specific tools, and ${qualifiedToolName(request.server, request.tool)} is not one of them.`, { api });
  }

  if (rule.roles.length > 0) {
    const known = new Set(policy.roles.map((role) => role.name));
    const held = new Set([...(request.roles ?? []).filter((name) => known.has(name)), ...rolesFromClaims(policy.roles, request.claims)]);
    if (!rule.roles.some((role) => held.has(role))) {
      return refuse("invalid_grant", "role_required", `The delegation of ${api.name} to ${request.server} is only for subjects with the role ${rule.roles.join(" or ")}, which ${request.subject || "the subject"} does not hold.`, { api });
    }
  }

  // The incoming scopes that count are those within the agent's own ceiling, as for tool calls.
  const clientCeiling = client.scopeCeiling.length > 0 ? new Set(client.scopeCeiling) : null;
  const incoming = new Set(request.incomingScopes.filter((scope) => !clientCeiling || clientCeiling.has(scope)));
  const ceiling = rule.scopeCeiling.length > 0 ? new Set(rule.scopeCeiling) : null;
  const wanted = request.requestedScopes.length > 0 ? [...new Set(request.requestedScopes)] : [...api.scopes];
  const granted: string[] = [];
  const dropped: { scope: string; why: string }[] = [];
  for (const scope of wanted) {
    if (!api.scopes.includes(scope)) dropped.push({ scope, why: `${api.name} does not know the scope ${scope}` });
    else if (ceiling && !ceiling.has(scope)) dropped.push({ scope, why: `${scope} is above the delegation's scope ceiling (${rule.scopeCeiling.join(", ")})` });
    else {
      const needs = rule.propagation.filter((entry) => entry.scope === scope).map((entry) => entry.requires);
      const missing = needs.filter((required) => !incoming.has(required));
      if (missing.length > 0) dropped.push({ scope, why: `${scope} needs ${missing.join(" and ")} on the user's token, which it does not carry` });
      else granted.push(scope);
    }
  }
  granted.sort();
  if (granted.length === 0) {
    return refuse("invalid_scope", "scope_not_allowed", `None of the scopes asked for may be granted: ${dropped.map((entry) => entry.why).join("; ")}.`, { api, dropped });
  }
  return {
    ok: true,
    rule: "granted",
    message:
      `Server ${request.server} may get ${granted.join(" ")} on ${api.name} for ${request.subject || "the subject"} via ${client.clientId}, by the delegation of ${api.name} to ${request.server}.` +
      (dropped.length > 0 ? ` Left out: ${dropped.map((entry) => entry.why).join("; ")}.` : ""),
    api,
    delegation: rule,
    granted,
    dropped,
    configVersion,
  };
}
