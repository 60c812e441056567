import type { ConfigDiff } from "@/lib/config/snapshot";
import { Badge } from "@/components/ui/badge";

const SECTION_LABELS: Record<keyof ConfigDiff, string> = {
  servers: "Servers",
  tools: "Tools",
  roles: "Roles",
  scopes: "Scopes",
  grants: "Grants",
  clients: "Clients",
  downstreamApis: "Downstream APIs",
  delegations: "Delegations",
};

/** Section by section, what a publish (or a comparison) changes. */
export function ConfigDiffView({ diff, label }: { diff: ConfigDiff; label: string }) {
  const sections = (Object.keys(SECTION_LABELS) as (keyof ConfigDiff)[]).filter(
    (key) => diff[key].added.length || diff[key].removed.length || diff[key].changed.length,
  );
  if (!sections.length) return <p className="text-sm text-muted-foreground">No differences.</p>;
  return (
    <div className="space-y-3" aria-label={label} role="region">
      {sections.map((key) => (
        <div key={key}>
          <h3 className="text-sm font-medium">{SECTION_LABELS[key]}</h3>
          <ul className="mt-1 space-y-0.5 text-sm">
            {diff[key].added.map((name) => (
              <li key={`+${name}`} className="flex items-center gap-2">
                <Badge tone="success">added</Badge> <span className="font-mono text-xs">{name}</span>
              </li>
            ))}
            {diff[key].removed.map((name) => (
              <li key={`-${name}`} className="flex items-center gap-2">
                <Badge tone="danger">removed</Badge> <span className="font-mono text-xs">{name}</span>
              </li>
            ))}
            {diff[key].changed.map((name) => (
              <li key={`~${name}`} className="flex items-center gap-2">
                <Badge tone="warning">changed</Badge> <span className="font-mono text-xs">{name}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}
