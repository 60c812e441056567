import type { ClientKind } from "@/lib/clients/status";
import { Badge } from "@/components/ui/badge";

export const STATUS_TONE = { PENDING: "warning", APPROVED: "success", REJECTED: "danger", SUSPENDED: "neutral" } as const;
export const KIND_LABEL: Record<ClientKind, string> = { CIMD: "CIMD", PRE_REGISTERED: "Pre-registered" };

export function KindBadge({ kind }: { kind: ClientKind }) {
  return (
    <Badge tone={kind === "CIMD" ? "neutral" : "primary"} className="whitespace-nowrap">
      {KIND_LABEL[kind]}
    </Badge>
  );
}
