// What an import plan looks like, with no server dependency: the browser shows
// plans, and only the server (plan.ts) makes them.

export const POLICY_KINDS = ["scopes", "servers", "tools", "roles", "grants", "clients", "downstreamApis", "delegations"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** One object as the admin recognises it: "support", "sales/lookup", "support → sales/lookup". */
export type PlannedUpdate = { name: string; fields: string[] };
export type KindPlan = { create: string[]; update: PlannedUpdate[]; delete: string[] };
export type PolicyPlan = Record<PolicyKind, KindPlan> & {
  /** Covers the changes and the file's values, so an apply can prove it is the plan the admin saw. */
  hash: string;
};

export function planIsEmpty(plan: PolicyPlan): boolean {
  return POLICY_KINDS.every((kind) => plan[kind].create.length + plan[kind].update.length + plan[kind].delete.length === 0);
}

export function planCounts(plan: PolicyPlan): Record<PolicyKind, { created: number; updated: number; deleted: number }> {
  return Object.fromEntries(
    POLICY_KINDS.map((kind) => [kind, { created: plan[kind].create.length, updated: plan[kind].update.length, deleted: plan[kind].delete.length }]),
  ) as Record<PolicyKind, { created: number; updated: number; deleted: number }>;
}
