import type { AdminRole } from "@/lib/db/generated/enums.ts";

export type { AdminRole };
export const ADMIN_ROLES = ["OWNER", "ADMIN", "AUDITOR", "VIEWER"] as const satisfies readonly AdminRole[];

/**
 * OWNER > ADMIN > AUDITOR > VIEWER. Only OWNER and ADMIN may change anything;
 * AUDITOR adds reading and exporting the audit trail to what VIEWER sees.
 */
const RANK: Record<AdminRole, number> = { OWNER: 4, ADMIN: 3, AUDITOR: 2, VIEWER: 1 };

export function hasRole(actual: AdminRole, minimum: AdminRole): boolean {
  return RANK[actual] >= RANK[minimum];
}

export function canMutate(role: AdminRole): boolean {
  return hasRole(role, "ADMIN");
}

export const ROLE_DESCRIPTIONS: Record<AdminRole, string> = {
  OWNER: "Everything, including managing owners",
  ADMIN: "Configure servers, tools, clients and admins",
  AUDITOR: "Read everything and export the audit trail",
  VIEWER: "Read configuration, change nothing",
};
