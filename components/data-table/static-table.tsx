"use client";

import type { RowData } from "@tanstack/react-table";
import type { ReactNode } from "react";
import { DataTable, type DataTableColumn } from "./data-table";

/**
 * A small list the page hands over whole (a few webhooks, API keys,
 * deliveries): the same table as every list, showing all its rows as one
 * page, with nothing to page or sort through the URL, and a count where the
 * page controls would be.
 */
export function StaticTable<TData extends RowData>({
  data,
  order,
  ...table
}: {
  data: TData[];
  columns: DataTableColumn<TData>[];
  getRowId: (row: TData) => string;
  /** The order the rows already come in; a column of that id shows it. */
  order: { sort: string; dir: "asc" | "desc" };
  emptyState: ReactNode;
  label: string;
}) {
  return <DataTable {...table} data={data} total={data.length} page={1} size={Math.max(1, data.length)} sort={order.sort} dir={order.dir} paged={false} />;
}
