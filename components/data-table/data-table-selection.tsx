"use client";

import type { RowData } from "@tanstack/react-table";
import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";
import type { DataTableColumn } from "./data-table-types";

/** The leading checkbox column of a table with bulk actions: one box per row, and one for the whole page. */
export function getSelectionColumn<TData extends RowData>(): DataTableColumn<TData> {
  return {
    id: "select",
    enableSorting: false,
    enableHiding: false,
    header: ({ table }) => (
      <input
        type="checkbox"
        aria-label="Select all rows on this page"
        className="h-4 w-4"
        checked={table.getIsAllPageRowsSelected()}
        ref={(element) => {
          if (element) element.indeterminate = table.getIsSomePageRowsSelected();
        }}
        onChange={table.getToggleAllPageRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => (
      <input
        type="checkbox"
        aria-label="Select row"
        className="h-4 w-4"
        checked={row.getIsSelected()}
        disabled={!row.getCanSelect()}
        onChange={row.getToggleSelectedHandler()}
      />
    ),
  };
}

/** What to do with the checked rows; shown only while some are checked. */
export function DataTableSelectionBar<TData>({
  selected,
  bulkActions,
  onClear,
}: {
  selected: TData[];
  bulkActions: (selected: TData[], clearSelection: () => void) => ReactNode;
  onClear: () => void;
}) {
  if (selected.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border bg-muted/50 px-3 py-2 text-sm">
      <span>{selected.length} selected</span>
      {bulkActions(selected, onClear)}
      <Button variant="ghost" size="sm" onClick={onClear}>
        Clear selection
      </Button>
    </div>
  );
}
