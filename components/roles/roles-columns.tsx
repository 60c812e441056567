import Link from "next/link";
import type { RoleRow } from "@/lib/roles/roles";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { RelativeTime } from "@/components/ui/relative-time";
import { getNameColumn } from "./name-description-columns";

export function getRolesColumns({ envKey }: { envKey: string }): DataTableColumn<RoleRow>[] {
  return [
    getNameColumn<RoleRow>({
      header: "Role",
      renderName: (role) => (
        <Link href={`/${envKey}/roles/${role.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
          {role.name}
        </Link>
      ),
    }),
    {
      id: "claimValue",
      accessorKey: "claimValue",
      header: "Maps from",
      cell: ({ row }) => (
        <code className="rounded bg-muted px-1.5 py-0.5 text-xs">
          {row.original.claimName} = {row.original.claimValue}
        </code>
      ),
    },
    {
      id: "grants",
      accessorKey: "grantCount",
      header: "Tools granted",
      cell: ({ row }) => <span className="tabular-nums">{row.original.grantCount}</span>,
    },
    {
      id: "createdAt",
      accessorKey: "createdAt",
      header: "Created",
      cell: ({ row }) => <RelativeTime iso={row.original.createdAt} />,
    },
  ];
}
