// The delegation part of a published config: which MCP server may exchange a
// user's token for a token to which downstream API. Pure data, importable
// anywhere (the data plane, the admin UI, tests).

export const TOKEN_LIFETIME_DEFAULT_SECONDS = 300;
export const TOKEN_LIFETIME_MAX_SECONDS = 900;

export type { DelegationPolicy, PolicyDelegation, PolicyDownstreamApi, ScopePropagation } from "@/sdk/src/contract/policy";

/** RFC 6749 §5.2 and RFC 8693 §2.2.2 error codes a token exchange answers with. */
export const EXCHANGE_ERRORS = ["invalid_request", "invalid_grant", "invalid_target", "invalid_scope", "unauthorized_client"] as const;
export type ExchangeError = (typeof EXCHANGE_ERRORS)[number];
