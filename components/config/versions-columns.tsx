import Link from "next/link";
import type { VersionRow } from "@/lib/config/publish";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";

export function getVersionsColumns({
  environment,
  liveVersion,
  editable,
  pending,
  onRollback,
}: {
  environment: string;
  liveVersion: number | null;
  editable: boolean;
  pending: boolean;
  onRollback: (version: number) => void;
}): DataTableColumn<VersionRow>[] {
  return [
    {
      id: "version",
      accessorKey: "version",
      header: "Version",
      enableHiding: false,
      cell: ({ row }) => (
        <Link href={`/${environment}/config/${row.original.version}`} className="font-medium hover:underline">
          v{row.original.version} {row.original.version === liveVersion ? <Badge tone="success">live</Badge> : null}
        </Link>
      ),
    },
    { id: "publishedAt", header: "Published", enableSorting: false, cell: ({ row }) => <RelativeTime iso={row.original.publishedAt} /> },
    { id: "publishedBy", header: "By", enableSorting: false, cell: ({ row }) => row.original.publishedBy ?? "a removed admin" },
    { id: "note", header: "Note", enableSorting: false, cell: ({ row }) => row.original.note ?? <span className="text-muted-foreground">none</span> },
    { id: "contentHash", header: "Content hash", enableSorting: false, cell: ({ row }) => <code className="text-xs">{row.original.contentHash.slice(7, 19)}</code> },
    {
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      enableSorting: false,
      enableHiding: false,
      cell: ({ row }) =>
        editable && row.original.version !== liveVersion ? (
          <Button variant="ghost" size="sm" disabled={pending} onClick={() => onRollback(row.original.version)}>
            Roll back to v{row.original.version}
          </Button>
        ) : null,
    },
  ];
}
