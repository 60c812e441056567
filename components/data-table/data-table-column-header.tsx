"use client";

import type { Header, RowData } from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown } from "lucide-react";
import type { DataTableFeatures, DataTableInstance } from "./data-table-types";

/** A column heading; a sortable one is a button that flips the order, with an arrow saying which. */
export function DataTableColumnHeader<TData extends RowData>({ table, header }: { table: DataTableInstance<TData>; header: Header<DataTableFeatures, TData> }) {
  const sortable = header.column.getCanSort();
  const direction = header.column.getIsSorted();
  return (
    <th scope="col" className="px-3 py-2 font-medium" aria-sort={direction === "asc" ? "ascending" : direction === "desc" ? "descending" : undefined}>
      {sortable ? (
        <button type="button" className="inline-flex items-center gap-1 hover:text-foreground" onClick={header.column.getToggleSortingHandler()}>
          <table.FlexRender header={header} />
          {direction === "asc" ? (
            <ArrowUp className="h-3 w-3" aria-hidden />
          ) : direction === "desc" ? (
            <ArrowDown className="h-3 w-3" aria-hidden />
          ) : (
            <ArrowUpDown className="h-3 w-3 opacity-40" aria-hidden />
          )}
        </button>
      ) : (
        <table.FlexRender header={header} />
      )}
    </th>
  );
}
