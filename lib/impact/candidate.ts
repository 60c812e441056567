import "server-only";
import type { Db } from "@/lib/db/client";
import { needsApproval } from "@/lib/approvals/approval-requests";
import type { PublishedConfig } from "@/lib/config/snapshot";
import { NotFoundError } from "@/lib/errors";
import type { PolicyDocument } from "@/lib/policy-io/document";
import { loadPolicySnapshot } from "@/lib/policy/load";
import type { PolicyClient, PolicySnapshot } from "@/sdk/src/contract/policy";

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The config that publishing would send out after importing this document
 * into the environment (a policy file, or another environment's policy for a
 * promotion), built the way the import writes it and publishing filters it:
 *
 * - servers, tools, roles and grants become exactly the document's;
 * - importing approves the tool definitions in it, so each of its tools is
 *   approved; only enabled ones are published, with their grants;
 * - pre-registered clients become the document's when it lists clients, and
 *   stay as they are otherwise; CIMD clients are never in a file and stay;
 *   only approved clients are published.
 */
export async function importedConfig(db: Db, environmentId: string, doc: PolicyDocument): Promise<PublishedConfig> {
  const [draft, environment] = await Promise.all([
    loadPolicySnapshot(db, environmentId),
    db.environment.findUnique({ where: { id: environmentId }, select: { approvalRiskTier: true } }),
  ]);
  if (!environment) throw new NotFoundError("This environment");

  const tools: PolicySnapshot["tools"] = doc.servers
    .flatMap((server) =>
      server.tools.map((tool) => ({
        server: server.name,
        name: tool.name,
        enabled: tool.enabled,
        approved: true,
        riskTier: tool.riskTier,
        requiresApproval: needsApproval(tool, environment.approvalRiskTier),
      })),
    )
    .filter((tool) => tool.enabled)
    .sort((a, b) => compare(a.server, b.server) || compare(a.name, b.name));
  const published = new Set(tools.map((tool) => `${tool.server}/${tool.name}`));
  const grants = doc.roles
    .flatMap((role) => role.grants.map((grant) => ({ role: role.name, server: grant.server, tool: grant.tool, requiredScopes: [...grant.requiredScopes].sort() })))
    .filter((grant) => published.has(`${grant.server}/${grant.tool}`))
    .sort((a, b) => compare(a.role, b.role) || compare(a.server, b.server) || compare(a.tool, b.tool));
  const roles = doc.roles.map((role) => ({ name: role.name, claimName: role.claimName, claimValue: role.claimValue })).sort((a, b) => compare(a.name, b.name));
  const fromFile: PolicyClient[] | null = doc.clients
    ? doc.clients.map((client) => ({
        clientId: client.clientId,
        kind: "PRE_REGISTERED" as const,
        status: client.status,
        scopeCeiling: [...client.scopeCeiling].sort(),
        restrictTools: client.restrictTools,
        allowedTools: [...client.allowedTools].sort(),
      }))
    : null;
  const clients = [...draft.clients.filter((client) => !fromFile || client.kind !== "PRE_REGISTERED"), ...(fromFile ?? [])]
    .filter((client) => client.status === "APPROVED")
    .sort((a, b) => compare(a.clientId, b.clientId));

  return {
    environment: draft.environment,
    servers: doc.servers
      .map((server) => ({ name: server.name, resource: server.resource, authorizationServer: server.authorizationServer ?? "", scopesSupported: [...server.scopesSupported].sort() }))
      .sort((a, b) => compare(a.name, b.name)),
    scopes: doc.scopes.map((scope) => ({ name: scope.name, description: scope.description ?? null })).sort((a, b) => compare(a.name, b.name)),
    policy: { environment: draft.environment, version: null, tools, roles, grants, clients },
  };
}
