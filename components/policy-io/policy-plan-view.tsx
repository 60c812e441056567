import { Minus, Pencil, Plus } from "lucide-react";
import { POLICY_KINDS, type PolicyKind, type PolicyPlan } from "@/lib/policy-io/plan-shape";

const KIND_LABELS: Record<PolicyKind, string> = { scopes: "Scopes", servers: "MCP servers", tools: "Tools", roles: "Roles", grants: "Grants", clients: "Pre-registered clients", downstreamApis: "Downstream APIs", delegations: "Delegations" };

export function countDeletions(plan: PolicyPlan): number {
  return POLICY_KINDS.reduce((sum, kind) => sum + plan[kind].delete.length, 0);
}

/** The dry run, grouped the way the dashboard is: what an apply would create, change and delete. */
export function PolicyPlanView({ plan, label }: { plan: PolicyPlan; label: string }) {
  const kinds = POLICY_KINDS.filter((kind) => plan[kind].create.length + plan[kind].update.length + plan[kind].delete.length > 0);
  if (kinds.length === 0) {
    return (
      <section aria-label={label} className="rounded-md border p-4 text-sm">
        Nothing to change: the environment already matches.
      </section>
    );
  }
  return (
    <section aria-label={label} className="divide-y rounded-md border text-sm">
      {kinds.map((kind) => {
        const { create, update, delete: remove } = plan[kind];
        return (
          <div key={kind} className="p-4">
            <h3 className="font-medium">
              {KIND_LABELS[kind]}{" "}
              <span className="font-normal text-muted-foreground">
                ({[create.length && `${create.length} to add`, update.length && `${update.length} to change`, remove.length && `${remove.length} to delete`].filter(Boolean).join(", ")})
              </span>
            </h3>
            <ul className="mt-2 space-y-1">
              {create.map((name) => (
                <li key={`+${name}`} className="flex items-start gap-2">
                  <Plus className="mt-0.5 h-4 w-4 shrink-0 text-success" aria-hidden />
                  <span>
                    <span className="sr-only">add </span>
                    <code>{name}</code>
                  </span>
                </li>
              ))}
              {update.map(({ name, fields }) => (
                <li key={`~${name}`} className="flex items-start gap-2">
                  <Pencil className="mt-0.5 h-4 w-4 shrink-0 text-warning" aria-hidden />
                  <span>
                    <span className="sr-only">change </span>
                    <code>{name}</code> <span className="text-muted-foreground">({fields.join(", ")})</span>
                  </span>
                </li>
              ))}
              {remove.map((name) => (
                <li key={`-${name}`} className="flex items-start gap-2 text-destructive">
                  <Minus className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
                  <span>
                    <span className="sr-only">delete </span>
                    <code>{name}</code>
                  </span>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}
