import Link from "next/link";
import type { ServerRow } from "@/lib/servers/servers";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { RelativeTime } from "@/components/ui/relative-time";

export function getServersColumns({ environmentKey }: { environmentKey: string }): DataTableColumn<ServerRow>[] {
  return [
    {
      id: "name",
      accessorKey: "name",
      header: "Name",
      enableHiding: false,
      cell: ({ row }) => (
        <Link href={`/${environmentKey}/servers/${row.original.id}`} className="font-medium text-primary hover:underline">
          {row.original.name}
        </Link>
      ),
    },
    {
      id: "resourceUri",
      accessorKey: "resourceUri",
      header: "Resource identifier",
      cell: ({ row }) => <code className="text-xs">{row.original.resourceUri}</code>,
    },
    { id: "tools", accessorKey: "toolCount", header: "Tools", cell: ({ row }) => row.original.toolCount },
    { id: "updatedAt", accessorKey: "updatedAt", header: "Updated", cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} /> },
  ];
}
