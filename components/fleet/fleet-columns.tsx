import type { FleetRow } from "@/lib/fleet/fleet";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

export function getFleetColumns(): DataTableColumn<FleetRow>[] {
  return [
    { id: "instanceId", accessorKey: "instanceId", header: "Instance", enableHiding: false, cell: ({ row }) => <code className="text-xs">{row.original.instanceId}</code> },
    { id: "server", header: "Server", enableSorting: false, cell: ({ row }) => row.original.server ?? <span className="text-muted-foreground">any</span> },
    { id: "apiKey", header: "API key", enableSorting: false, cell: ({ row }) => row.original.apiKey },
    {
      id: "appliedVersion",
      accessorKey: "appliedVersion",
      header: "Applied version",
      cell: ({ row }) => (
        <span className="flex items-center gap-2">
          {row.original.appliedVersion ? `v${row.original.appliedVersion}` : "none"}
          {row.original.drift ? <Badge tone="warning">drift</Badge> : null}
        </span>
      ),
    },
    { id: "sdkVersion", header: "SDK", enableSorting: false, cell: ({ row }) => row.original.sdkVersion ?? <span className="text-muted-foreground">unknown</span> },
    {
      id: "lastPollAt",
      accessorKey: "lastPollAt",
      header: "Last poll",
      cell: ({ row }) => (
        <span className="flex items-center gap-2">
          <RelativeTime iso={row.original.lastPollAt} />
          {row.original.stale ? <Badge tone="danger">stale</Badge> : null}
        </span>
      ),
    },
  ];
}
