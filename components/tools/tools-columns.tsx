import Link from "next/link";
import type { ToolRow } from "@/lib/tools/tools";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { RiskBadge } from "./tool-badges";

export function getToolsColumns({
  basePath,
  editable,
  pending,
  onSetEnabled,
}: {
  basePath: string;
  editable: boolean;
  pending: boolean;
  onSetEnabled: (tool: ToolRow, enabled: boolean) => void;
}): DataTableColumn<ToolRow>[] {
  return [
    {
      id: "name",
      accessorKey: "name",
      header: "Name",
      enableHiding: false,
      cell: ({ row }) => (
        <Link href={`${basePath}/tools/${row.original.id}`} className="font-mono font-medium text-primary hover:underline">
          {row.original.name}
        </Link>
      ),
    },
    { id: "title", accessorKey: "title", header: "Title", cell: ({ row }) => row.original.title ?? <span className="text-muted-foreground">—</span> },
    {
      id: "riskTier",
      accessorKey: "riskTier",
      header: "Risk",
      cell: ({ row }) => (
        <div className="flex flex-wrap items-center gap-1">
          <RiskBadge tier={row.original.riskTier} />
          {row.original.destructive ? <Badge tone="danger">destructive</Badge> : null}
        </div>
      ),
    },
    {
      id: "enabled",
      accessorKey: "enabled",
      header: "Enabled",
      cell: ({ row }) =>
        editable ? (
          <label className="inline-flex items-center gap-2">
            <input
              type="checkbox"
              role="switch"
              className="h-4 w-4"
              aria-label={`${row.original.name} enabled`}
              checked={row.original.enabled}
              disabled={pending}
              onChange={(event) => onSetEnabled(row.original, event.target.checked)}
            />
            <span className="text-xs">{row.original.enabled ? "on" : "off"}</span>
          </label>
        ) : (
          <Badge tone={row.original.enabled ? "success" : "neutral"}>{row.original.enabled ? "enabled" : "disabled"}</Badge>
        ),
    },
    {
      id: "requiresApproval",
      header: "Approval",
      enableSorting: false,
      cell: ({ row }) => (row.original.requiresApproval ? <Badge tone="warning">human approval</Badge> : <span className="text-muted-foreground">—</span>),
    },
    {
      id: "changed",
      header: "Definition",
      enableSorting: false,
      cell: ({ row }) =>
        row.original.changedSinceApproval ? <Badge tone="warning">changed since approval</Badge> : <span className="text-xs text-muted-foreground">approved</span>,
    },
    { id: "updatedAt", accessorKey: "updatedAt", header: "Updated", cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} /> },
  ];
}
