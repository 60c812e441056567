import { AlertTriangle, Flame } from "lucide-react";
import type { ToolRisk } from "@/lib/grants/grants";
import { Badge } from "@/components/ui/badge";

/** High-risk and destructive tools carry a badge with an icon and words, so colour is never the only signal. */
export function RiskMarkers({ risk }: { risk: ToolRisk }) {
  if (!risk.highRisk && !risk.destructive) return null;
  return (
    <span className="inline-flex flex-wrap gap-1">
      {risk.highRisk ? (
        <Badge tone="danger" className="gap-1">
          <Flame className="h-3 w-3" aria-hidden />
          {risk.riskTier === "CRITICAL" ? "Critical risk" : "High risk"}
        </Badge>
      ) : null}
      {risk.destructive ? (
        <Badge tone="warning" className="gap-1">
          <AlertTriangle className="h-3 w-3" aria-hidden />
          Destructive
        </Badge>
      ) : null}
    </span>
  );
}
