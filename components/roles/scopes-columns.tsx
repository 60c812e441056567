import type { ScopeRow } from "@/lib/scopes/scopes";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { RelativeTime } from "@/components/ui/relative-time";
import { getNameColumn } from "./name-description-columns";

export function getScopesColumns(): DataTableColumn<ScopeRow>[] {
  return [
    getNameColumn<ScopeRow>({ header: "Scope", renderName: (scope) => <code className="font-medium">{scope.name}</code> }),
    {
      id: "grantCount",
      header: "Required by",
      enableSorting: false,
      cell: ({ row }) => (
        <span className="tabular-nums">
          {row.original.grantCount} {row.original.grantCount === 1 ? "grant" : "grants"}
        </span>
      ),
    },
    {
      id: "updatedAt",
      accessorKey: "updatedAt",
      header: "Changed",
      cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} />,
    },
  ];
}
