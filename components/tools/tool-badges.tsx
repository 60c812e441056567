import { AlertTriangle } from "lucide-react";
import type { RiskTier } from "@/lib/tools/schemas";
import { Badge } from "@/components/ui/badge";

const RISK_TONES = { LOW: "neutral", MEDIUM: "warning", HIGH: "danger", CRITICAL: "danger" } as const;

/** HIGH and CRITICAL carry an icon as well as a color, so they stand out without color vision. */
export function RiskBadge({ tier }: { tier: RiskTier }) {
  const severe = tier === "HIGH" || tier === "CRITICAL";
  return (
    <Badge tone={RISK_TONES[tier]} className={tier === "CRITICAL" ? "font-bold uppercase" : undefined}>
      {severe ? <AlertTriangle className="mr-1 h-3 w-3" aria-hidden /> : null}
      {tier}
    </Badge>
  );
}
