"use client";

import type { RowData } from "@tanstack/react-table";
import type { ReactNode } from "react";
import { DataTable, type DataTableColumn } from "./data-table";

/**
 * A small list the page hands over whole (a few webhooks, API keys,
 * deliveries): the same table as every list, showing all its rows as one
 * page, with nothing to page or sort through the URL.
 */
export function StaticTable<TData extends RowData>({
  data,
  order,
  emptyPageSize = 25,
  ...table
}: {
  data: TData[];
  columns: DataTableColumn<TData>[];
  getRowId: (row: TData) => string;
  /** The order the rows already come in; a column of that id shows it. */
  order: { sort: string; dir: "asc" | "desc" };
  /** The page size shown while there are no rows. */
  emptyPageSize?: number;
  emptyState: ReactNode;
  label: string;
}) {
  return <DataTable {...table} data={data} total={data.length} page={1} size={data.length || emptyPageSize} sort={order.sort} dir={order.dir} />;
}
