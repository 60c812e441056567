import "server-only";
import type { Db } from "@/lib/db/client";
import { NotFoundError } from "@/lib/errors";
import type { PolicySnapshot } from "@/sdk/src/contract/policy";
import { needsApproval } from "@/lib/approvals/approval-requests";

/**
 * Whether a tool's live definition is the approved one.
 *
 * - No definitionHash: nobody has reported a live definition for it (an admin
 *   typed the tool in by hand), so there is nothing that could have drifted
 *   and it counts as approved by its creation.
 * - Otherwise only an approvedHash equal to it approves it: a tool reported
 *   but never approved, or one whose definition changed after approval (a rug
 *   pull), is denied until an admin approves the current definition.
 */
export function isToolApproved(tool: { definitionHash: string | null; approvedHash: string | null }): boolean {
  if (tool.definitionHash === null) return true;
  return tool.approvedHash !== null && tool.approvedHash === tool.definitionHash;
}

/**
 * The environment's current draft (what it would publish now) as a policy
 * snapshot, version null. Read at one point in time so that a grant and the
 * tool it names cannot come from two different moments.
 */
export async function loadPolicySnapshot(db: Db, environmentId: string): Promise<PolicySnapshot> {
  const [environment, tools, roles, grants, clients] = await db.$transaction(
    [
      db.environment.findUnique({ where: { id: environmentId }, select: { key: true, approvalRiskTier: true } }),
      db.tool.findMany({
        where: { server: { environmentId } },
        select: { name: true, enabled: true, riskTier: true, requiresApproval: true, definitionHash: true, approvedHash: true, server: { select: { name: true } } },
      }),
      db.role.findMany({ where: { environmentId }, select: { name: true, claimName: true, claimValue: true } }),
      db.grant.findMany({
        where: { role: { environmentId } },
        select: { requiredScopes: true, role: { select: { name: true } }, tool: { select: { name: true, server: { select: { name: true } } } } },
      }),
      db.client.findMany({ where: { environmentId }, select: { clientId: true, kind: true, status: true, scopeCeiling: true, restrictTools: true, allowedTools: true } }),
    ],
    { isolationLevel: "RepeatableRead" },
  );
  if (!environment) throw new NotFoundError("This environment");

  return {
    environment: environment.key,
    version: null,
    tools: tools
      .map((tool) => ({
        server: tool.server.name,
        name: tool.name,
        enabled: tool.enabled,
        approved: isToolApproved(tool),
        riskTier: tool.riskTier,
        // The environment's risk-tier threshold is folded in here, so published configs and the SDK need no rule of their own.
        requiresApproval: needsApproval(tool, environment.approvalRiskTier),
      }))
      .sort((a, b) => compare(a.server, b.server) || compare(a.name, b.name)),
    roles: roles.map((role) => ({ name: role.name, claimName: role.claimName, claimValue: role.claimValue })).sort((a, b) => compare(a.name, b.name)),
    grants: grants
      .map((grant) => ({ role: grant.role.name, server: grant.tool.server.name, tool: grant.tool.name, requiredScopes: [...grant.requiredScopes].sort() }))
      .sort((a, b) => compare(a.role, b.role) || compare(a.server, b.server) || compare(a.tool, b.tool)),
    clients: clients
      .map((client) => ({
        clientId: client.clientId,
        ...(client.kind === "PRE_REGISTERED" ? { kind: client.kind } : {}),
        status: client.status,
        scopeCeiling: [...client.scopeCeiling].sort(),
        restrictTools: client.restrictTools,
        allowedTools: [...client.allowedTools].sort(),
      }))
      .sort((a, b) => compare(a.clientId, b.clientId)),
  };
}

// Code-unit order: the same order on every database collation.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
