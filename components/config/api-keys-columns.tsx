import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";

export type ApiKeyRow = {
  id: string;
  selector: string;
  label: string;
  server: string | null;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  status: "active" | "revoked" | "expired";
};

export function getApiKeysColumns({
  environment,
  editable,
  onRevoke,
}: {
  environment: string;
  editable: boolean;
  onRevoke: (key: ApiKeyRow) => void;
}): DataTableColumn<ApiKeyRow>[] {
  return [
    {
      id: "label",
      header: "Key",
      enableSorting: false,
      enableHiding: false,
      cell: ({ row }) => (
        <div>
          <div className="font-medium">{row.original.label}</div>
          <code className="text-xs text-muted-foreground">wdn_{environment}_{row.original.selector}_…</code>
        </div>
      ),
    },
    { id: "server", header: "Server", enableSorting: false, cell: ({ row }) => row.original.server ?? <span className="text-muted-foreground">any server</span> },
    {
      id: "status",
      header: "Status",
      enableSorting: false,
      cell: ({ row }) => <Badge tone={row.original.status === "active" ? "success" : row.original.status === "revoked" ? "danger" : "warning"}>{row.original.status}</Badge>,
    },
    { id: "lastUsedAt", header: "Last used", enableSorting: false, cell: ({ row }) => <RelativeTime iso={row.original.lastUsedAt} /> },
    { id: "expiresAt", header: "Expires", enableSorting: false, cell: ({ row }) => (row.original.expiresAt ? <RelativeTime iso={row.original.expiresAt} /> : "never") },
    {
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      enableSorting: false,
      enableHiding: false,
      cell: ({ row }) =>
        editable && row.original.status === "active" ? (
          <Button variant="ghost" size="sm" className="text-destructive" onClick={() => onRevoke(row.original)}>
            Revoke
          </Button>
        ) : null,
    },
  ];
}
