"use client";

import { useMemo } from "react";
import type { ServerListQuery, ServerRow } from "@/lib/servers/servers";
import { DataTable } from "@/components/data-table/data-table";
import { getServersColumns } from "./servers-columns";

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
  const columns = useMemo(() => getServersColumns({ environmentKey }), [environmentKey]);
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
