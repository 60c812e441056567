import Link from "next/link";
import type { ToolRisk } from "@/lib/grants/grants";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import { RiskMarkers } from "./risk-markers";

export type GrantRowView = {
  id: string;
  roleId: string;
  roleName: string;
  roleClaim: string;
  toolId: string;
  toolName: string;
  serverName: string;
  risk: ToolRisk;
  requiredScopes: string[];
  version: number;
  updatedAt: string;
};

export const describeGrant = (row: GrantRowView) => `${row.toolName} (${row.serverName}) for ${row.roleName}`;

export function getGrantRowsColumns({
  envKey,
  subject,
  editable,
  onEditScopes,
  onRevoke,
}: {
  envKey: string;
  subject: "tool" | "role";
  editable: boolean;
  onEditScopes: (row: GrantRowView) => void;
  onRevoke: (row: GrantRowView) => void;
}): DataTableColumn<GrantRowView>[] {
  return [
    subject === "tool"
      ? {
          id: "name",
          header: "Tool",
          enableHiding: false,
          cell: ({ row }) => (
            <div className="flex flex-wrap items-center gap-2">
              <Link href={`/${envKey}/roles/tools/${row.original.toolId}`} className="font-mono underline-offset-4 hover:underline">
                {row.original.toolName}
              </Link>
              <span className="text-xs text-muted-foreground">on {row.original.serverName}</span>
              <RiskMarkers risk={row.original.risk} />
            </div>
          ),
        }
      : {
          id: "name",
          header: "Role",
          enableHiding: false,
          cell: ({ row }) => (
            <div>
              <Link href={`/${envKey}/roles/${row.original.roleId}`} className="font-medium text-primary underline-offset-4 hover:underline">
                {row.original.roleName}
              </Link>
              <div className="text-xs text-muted-foreground">
                <code>{row.original.roleClaim}</code>
              </div>
            </div>
          ),
        },
    {
      id: "requiredScopes",
      header: "Required scopes",
      enableSorting: false,
      cell: ({ row }) =>
        row.original.requiredScopes.length ? (
          <div className="flex flex-wrap gap-1">
            {row.original.requiredScopes.map((scope) => (
              <code key={scope} className="rounded bg-muted px-1.5 py-0.5 text-xs">
                {scope}
              </code>
            ))}
          </div>
        ) : (
          <span className="text-xs text-muted-foreground">none: the role alone suffices</span>
        ),
    },
    { id: "updatedAt", header: "Changed", cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} /> },
    {
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      enableSorting: false,
      enableHiding: false,
      cell: ({ row }) =>
        editable ? (
          <div className="flex justify-end gap-2">
            <Button variant="ghost" size="sm" aria-label={`Edit scopes of ${describeGrant(row.original)}`} onClick={() => onEditScopes(row.original)}>
              Edit scopes
            </Button>
            <Button variant="ghost" size="sm" className="text-destructive" aria-label={`Revoke ${describeGrant(row.original)}`} onClick={() => onRevoke(row.original)}>
              Revoke
            </Button>
          </div>
        ) : null,
    },
  ];
}
