import type { AuditRow } from "@/lib/audit/query";
import { Badge } from "@/components/ui/badge";

export function DecisionBadge({ decision }: { decision: AuditRow["decision"] }) {
  if (!decision) return <span className="text-muted-foreground">—</span>;
  return <Badge tone={decision === "allow" ? "success" : decision === "deny" ? "danger" : "warning"}>{decision}</Badge>;
}
