import Link from "next/link";
import type { ClientRow } from "@/lib/clients/clients";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { KindBadge, STATUS_TONE } from "./client-badges";

export function getClientsColumns({ environment }: { environment: string }): DataTableColumn<ClientRow>[] {
  return [
    {
      id: "clientId",
      accessorKey: "clientId",
      header: "Client",
      enableHiding: false,
      cell: ({ row }) => (
        <Link href={`/${environment}/clients/${row.original.id}`} className="block hover:underline">
          {row.original.kind === "PRE_REGISTERED" ? (
            <>
              <span className="font-medium">{row.original.name}</span>
              {row.original.owner ? <span className="ml-2 text-muted-foreground">{row.original.owner}</span> : null}
            </>
          ) : (
            <>
              <span className="font-medium">{row.original.hostname}</span>
              {row.original.name ? <span className="ml-2 text-muted-foreground">“{row.original.name}”</span> : null}
            </>
          )}
          <span className="block font-mono text-xs break-all text-muted-foreground">{row.original.clientId}</span>
        </Link>
      ),
    },
    { id: "kind", header: "Kind", enableSorting: false, cell: ({ row }) => <KindBadge kind={row.original.kind} /> },
    {
      id: "status",
      accessorKey: "status",
      header: "Status",
      cell: ({ row }) => <Badge tone={STATUS_TONE[row.original.status]}>{row.original.status}</Badge>,
    },
    {
      id: "warnings",
      header: "Warnings",
      enableSorting: false,
      cell: ({ row }) => (row.original.warnings ? <Badge tone="warning">{row.original.warnings}</Badge> : <span className="text-muted-foreground">none</span>),
    },
    { id: "fetchedAt", accessorKey: "fetchedAt", header: "Fetched", cell: ({ row }) => <RelativeTime iso={row.original.fetchedAt} /> },
    { id: "reviewedAt", accessorKey: "reviewedAt", header: "Reviewed", cell: ({ row }) => <RelativeTime iso={row.original.reviewedAt} /> },
    { id: "createdAt", accessorKey: "createdAt", header: "Added", cell: ({ row }) => <RelativeTime iso={row.original.createdAt} /> },
  ];
}
