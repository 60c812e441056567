import { z } from "zod";

// The policy as data: everything a decision needs, serialisable as JSON so
// that the admin app, the data plane, the SDK inside an MCP server and the
// browser can all hold the same value. This file imports only zod, and
// decide.ts only this file (no Node built-ins, no database, no React), which
// is what lets every one of those places import them.

export const CLIENT_STATUSES = ["PENDING", "APPROVED", "REJECTED", "SUSPENDED"] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

/**
 * CIMD: the client_id is a metadata document URL. PRE_REGISTERED: an opaque
 * id the IdP issued (Okta's "0oa…", an Entra application id), which arrives
 * in the token's azp or client_id claim. Both are matched exactly.
 */
export const CLIENT_KINDS = ["CIMD", "PRE_REGISTERED"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export const RISK_TIERS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

// The published parts of the policy are zod schemas, so that the server
// that builds a config and the SDK that verifies one hold it to the same
// shape; each type below is what its schema accepts.

export const PolicyToolSchema = z.object({
  /** The MCP server's name, unique in its environment. */
  server: z.string(),
  /** The tool's name, unique on its server. */
  name: z.string(),
  enabled: z.boolean(),
  /** The live definition is the one an admin approved (see lib/policy/load.ts for how it is derived). */
  approved: z.boolean(),
  riskTier: z.enum(RISK_TIERS),
  /** Calls need a human's approval at call time; the decision still says allow or deny. */
  requiresApproval: z.boolean(),
  /**
   * The approved definition's hash, in published configs, so a gateway can
   * refuse a tool whose live definition changed; absent for tools typed in
   * by hand.
   */
  approvedHash: z.string().optional(),
});
export type PolicyTool = z.infer<typeof PolicyToolSchema>;

export const PolicyRoleSchema = z.object({
  name: z.string(),
  /** The IdP claim that carries it, e.g. "roles", "groups", "permissions". */
  claimName: z.string(),
  /** The value in that claim which means "has this role". */
  claimValue: z.string(),
});
export type PolicyRole = z.infer<typeof PolicyRoleSchema>;

export const PolicyGrantSchema = z.object({
  /** Role name. */
  role: z.string(),
  server: z.string(),
  tool: z.string(),
  /** Every one of these must be in the token (after the client's ceiling). Empty: no scope needed. */
  requiredScopes: z.array(z.string()),
});
export type PolicyGrant = z.infer<typeof PolicyGrantSchema>;

export const PolicyClientSchema = z.object({
  /** The CIMD URL or the IdP-issued id, compared as an exact string. */
  clientId: z.string(),
  /**
   * Present only for PRE_REGISTERED: absent means CIMD, so configs published
   * before kinds existed read the same and keep their content hash.
   */
  kind: z.enum(CLIENT_KINDS).optional(),
  status: z.enum(CLIENT_STATUSES),
  /** When non-empty, token scopes outside it are ignored. Empty: no ceiling. */
  scopeCeiling: z.array(z.string()),
  /** false: every tool the grants allow. true: only the tools in allowedTools (none if it is empty). */
  restrictTools: z.boolean(),
  /** Qualified names, "server/tool" (see qualifiedToolName); a bare tool name matches nothing. */
  allowedTools: z.array(z.string()),
});
export type PolicyClient = z.infer<typeof PolicyClientSchema>;

// Token exchange (on-behalf-of): which MCP server may trade a user's token
// for one to which downstream API. Published inside the policy, absent while
// an environment has none, so configs without it keep their content hash.

export const PolicyDownstreamApiSchema = z.object({
  name: z.string(),
  /** The `aud` of tokens issued for it; an exchange names it as `audience` or `resource`. */
  audience: z.string(),
  /** The scopes the API understands; nothing else is ever granted for it. */
  scopes: z.array(z.string()),
  tokenLifetimeSeconds: z.number(),
});
export type PolicyDownstreamApi = z.infer<typeof PolicyDownstreamApiSchema>;

/** Scope propagation: the downstream `scope` is granted only when the incoming token carries `requires`. */
export const ScopePropagationSchema = z.object({ scope: z.string(), requires: z.string() });
export type ScopePropagation = z.infer<typeof ScopePropagationSchema>;

export const PolicyDelegationSchema = z.object({
  /** The MCP server's name. */
  server: z.string(),
  /** The downstream API's name. */
  api: z.string(),
  /** Empty: from any tool of the server; otherwise only when the exchange names one of these tools. */
  tools: z.array(z.string()),
  /** Empty: every scope of the API. */
  scopeCeiling: z.array(z.string()),
  /** Empty: any subject; otherwise the subject must hold one of these roles. */
  roles: z.array(z.string()),
  propagation: z.array(ScopePropagationSchema),
});
export type PolicyDelegation = z.infer<typeof PolicyDelegationSchema>;

export const DelegationPolicySchema = z.object({
  downstreamApis: z.array(PolicyDownstreamApiSchema),
  delegations: z.array(PolicyDelegationSchema),
});
export type DelegationPolicy = z.infer<typeof DelegationPolicySchema>;

export const PolicySnapshotSchema = z.object({
  /** Environment key, e.g. "prod". */
  environment: z.string(),
  /** Published config version; null for the unpublished draft. */
  version: z.number().nullable().optional(),
  tools: z.array(PolicyToolSchema),
  roles: z.array(PolicyRoleSchema),
  grants: z.array(PolicyGrantSchema),
  clients: z.array(PolicyClientSchema),
  /** Downstream APIs and delegations; absent while the environment has none. */
  delegation: DelegationPolicySchema.optional(),
});
export type PolicySnapshot = z.infer<typeof PolicySnapshotSchema>;

/** An IdP claim value as it appears in a decoded token. */
export type ClaimValue = string | string[];

export type DecisionRequest = {
  /** The end user's subject (the token's sub); recorded, never used to grant. */
  subject: string;
  /** The agent: the token's azp / client_id. */
  clientId: string;
  server: string;
  tool: string;
  /** Scopes the access token carries. */
  scopes: string[];
  /** Role names the caller already resolved. */
  roles?: string[];
  /** Raw token claims; roles are also derived from them through each role's claim mapping. */
  claims?: Record<string, ClaimValue>;
};

/** Why, as a stable code for machines; Decision.message says it for people. */
export const DECISION_REASONS = [
  "allowed_by_grant",
  "unknown_tool",
  "tool_disabled",
  "tool_changed_since_approval",
  "unknown_client",
  "client_not_approved",
  "client_tool_not_allowed",
  "no_grant",
  "missing_scope",
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export type Decision = {
  decision: "allow" | "deny";
  reason: DecisionReason;
  message: string;
  /** allow: the grant that allowed it. */
  grant?: PolicyGrant;
  /** missing_scope: the fewest scopes the token would need to add for a grant to apply. */
  missingScopes?: string[];
  /** Roles of the snapshot that the subject holds, by name, sorted. */
  matchedRoles: string[];
  /** Token scopes that count: the token's, within the client's ceiling, sorted. */
  effectiveScopes: string[];
  /** allow of a tool that needs a human's approval before it runs. */
  requiresApproval: boolean;
  /** The snapshot's version; null when decided against the draft. */
  configVersion: number | null;
};
