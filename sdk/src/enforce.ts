import type { WardenClient, WardenDecision } from "./client.ts";

// Helpers for the MCP authorization spec (2025-06-18 and later) and
// RFC 9728 (OAuth 2.0 Protected Resource Metadata) / RFC 6750 challenges.

/** Where a resource's metadata lives: the well-known path inserted before the resource's own path (RFC 9728 §3.1). */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

export type ProtectedResourceMetadata = {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
};

/** The RFC 9728 document an MCP server serves so clients can find its authorization server. */
export function protectedResourceMetadata(input: { resource: string; authorizationServers: string[]; scopesSupported?: string[]; resourceName?: string }): ProtectedResourceMetadata {
  return {
    resource: input.resource,
    authorization_servers: input.authorizationServers,
    ...(input.scopesSupported?.length ? { scopes_supported: input.scopesSupported } : {}),
    bearer_methods_supported: ["header"],
    ...(input.resourceName ? { resource_name: input.resourceName } : {}),
  };
}

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`).replace(/[\r\n]/g, " ")}"`;
}

/**
 * The WWW-Authenticate value of a 401: no token, or one that is invalid,
 * expired or meant for another resource. `resource_metadata` lets the client
 * discover where to get a proper token.
 */
export function unauthorizedChallenge(input: { resourceMetadataUrl: string; error?: "invalid_request" | "invalid_token"; errorDescription?: string; scope?: string[] }): string {
  const parts = [`resource_metadata=${quoted(input.resourceMetadataUrl)}`];
  if (input.error) parts.push(`error=${quoted(input.error)}`);
  if (input.errorDescription) parts.push(`error_description=${quoted(input.errorDescription)}`);
  if (input.scope?.length) parts.push(`scope=${quoted(input.scope.join(" "))}`);
  return `Bearer ${parts.join(", ")}`;
}

/** The WWW-Authenticate value of a 403 whose remedy is a token with more scopes (step-up). */
export function insufficientScopeChallenge(input: { scopes: string[]; resourceMetadataUrl: string; errorDescription?: string }): string {
  const parts = [`error="insufficient_scope"`, `scope=${quoted(input.scopes.join(" "))}`, `resource_metadata=${quoted(input.resourceMetadataUrl)}`];
  if (input.errorDescription) parts.push(`error_description=${quoted(input.errorDescription)}`);
  return `Bearer ${parts.join(", ")}`;
}

/**
 * A denial the caller can fix with a better token is an HTTP 403 with an
 * insufficient_scope challenge; null for every other decision (those are
 * answered inside MCP, as a tool error carrying the reason).
 */
export function scopeChallengeFor(decision: WardenDecision, resourceMetadataUrl: string): { status: 403; headers: Record<string, string>; body: Record<string, string> } | null {
  if (decision.decision !== "deny" || decision.reason !== "missing_scope" || !decision.missingScopes?.length) return null;
  const scopes = [...new Set([...decision.effectiveScopes, ...decision.missingScopes])].sort();
  return {
    status: 403,
    headers: { "WWW-Authenticate": insufficientScopeChallenge({ scopes, resourceMetadataUrl, errorDescription: decision.message }) },
    body: { error: "insufficient_scope", error_description: decision.message },
  };
}

/** A tools/list result narrowed to the tools this caller may call. */
export function filterToolsList<T extends { tools: { name: string }[] }>(
  warden: Pick<WardenClient, "authorize">,
  result: T,
  claims: Readonly<Record<string, unknown>>,
  clientId: string | undefined,
): T {
  return { ...result, tools: result.tools.filter((tool) => warden.authorize(claims, clientId, tool.name).decision === "allow") };
}

/** The text an MCP client sees when a call is refused: the machine reason first, then the explanation. */
export function denialText(decision: WardenDecision): string {
  return `Denied by Warden (${decision.reason}${decision.configVersion ? `, config v${decision.configVersion}` : ""}): ${decision.message}`;
}
