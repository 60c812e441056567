// The delegation part of a published config: which MCP server may exchange a
// user's token for a token to which downstream API. Pure data, importable
// anywhere (the data plane, the admin UI, tests).

export const TOKEN_LIFETIME_DEFAULT_SECONDS = 300;
export const TOKEN_LIFETIME_MAX_SECONDS = 900;

export type PolicyDownstreamApi = {
  name: string;
  /** The `aud` of tokens issued for it; an exchange names it as `audience` or `resource`. */
  audience: string;
  /** The scopes the API understands; nothing else is ever granted for it. */
  scopes: string[];
  tokenLifetimeSeconds: number;
};

/** Scope propagation: the downstream `scope` is granted only when the incoming token carries `requires`. */
export type ScopePropagation = { scope: string; requires: string };

export type PolicyDelegation = {
  /** The MCP server's name. */
  server: string;
  /** The downstream API's name. */
  api: string;
  /** Empty: from any tool of the server; otherwise only when the exchange names one of these tools. */
  tools: string[];
  /** Empty: every scope of the API. */
  scopeCeiling: string[];
  /** Empty: any subject; otherwise the subject must hold one of these roles. */
  roles: string[];
  propagation: ScopePropagation[];
};

export type DelegationPolicy = {
  downstreamApis: PolicyDownstreamApi[];
  delegations: PolicyDelegation[];
};

/** RFC 6749 §5.2 and RFC 8693 §2.2.2 error codes a token exchange answers with. */
export const EXCHANGE_ERRORS = ["invalid_request", "invalid_grant", "invalid_target", "invalid_scope", "unauthorized_client"] as const;
export type ExchangeError = (typeof EXCHANGE_ERRORS)[number];
