"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { ServerListQuery, ServerRow } from "@/lib/servers/servers";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { RelativeTime } from "@/components/ui/relative-time";

export function ServersTable({
  rows,
  total,
  query,
  environmentKey,
  environmentName,
}: {
  rows: ServerRow[];
  total: number;
  query: ServerListQuery;
  environmentKey: string;
  environmentName: string;
}) {
  const columns = useMemo<DataTableColumn<ServerRow>[]>(
    () => [
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
    ],
    [environmentKey],
  );
  return (
    <DataTable
      label="MCP servers"
      data={rows}
      columns={columns}
      total={total}
      page={query.page}
      size={query.size}
      sort={query.sort}
      dir={query.dir}
      getRowId={(row) => row.id}
      searchPlaceholder="Search by name or resource identifier"
      emptyState={
        <p className="text-sm text-muted-foreground">
          {query.q ? "No server matches this search. Clear it to see every server." : `No MCP servers in ${environmentName} yet — add the first one.`}
        </p>
      }
    />
  );
}
