"use client";

import { useMemo } from "react";
import type { FleetRow } from "@/lib/fleet/fleet";
import { DataTable } from "@/components/data-table/data-table";
import { getFleetColumns } from "./fleet-columns";

export function FleetTable({ rows, total, page, size, sort, dir }: { rows: FleetRow[]; total: number; page: number; size: number; sort: string; dir: "asc" | "desc" }) {
  const columns = useMemo(() => getFleetColumns(), []);
  return (
    <DataTable
      label="Fleet"
      data={rows}
      columns={columns}
      total={total}
      page={page}
      size={size}
      sort={sort}
      dir={dir}
      getRowId={(row) => row.id}
      emptyState={<p className="text-sm text-muted-foreground">No MCP server has polled this environment yet. Give one an API key and point it at /api/v1/config.</p>}
    />
  );
}
