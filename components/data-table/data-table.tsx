"use client";

import { useTable, type ColumnVisibilityState, type RowData, type RowSelectionState, type SortingState } from "@tanstack/react-table";
import { useMemo, useState, type ReactNode } from "react";
import { cn } from "@/components/ui/cn";
import { PAGE_SIZES } from "@/lib/list-query";
import { DataTableColumnHeader } from "./data-table-column-header";
import { DataTablePagination, type DataTableCursor } from "./data-table-pagination";
import { DataTableSelectionBar, getSelectionColumn } from "./data-table-selection";
import { DataTableToolbar } from "./data-table-toolbar";
import { dataTableFeatures, type DataTableColumn, type DataTableFilter } from "./data-table-types";
import { useDataTableUrlState } from "./use-data-table-url-state";

export { dataTableFeatures, type DataTableColumn, type DataTableFilter } from "./data-table-types";

/**
 * The one table every list uses. The server owns the data: paging, sorting,
 * search and filters live in the URL (shareable, back-button friendly) and
 * the page re-queries on each change. Selection and column visibility stay
 * in the browser.
 */
export function DataTable<TData extends RowData>({
  data,
  columns,
  total = 0,
  page = 1,
  cursor,
  pageSizes = PAGE_SIZES,
  size,
  sort,
  dir,
  getRowId,
  searchPlaceholder,
  filters = [],
  bulkActions,
  emptyState,
  label,
  paged = true,
}: {
  data: TData[];
  columns: DataTableColumn<TData>[];
  total?: number;
  page?: number;
  /** Keyset paging instead of numbered pages: the cursors of the neighbouring pages, null at either end. */
  cursor?: DataTableCursor;
  pageSizes?: readonly number[];
  size: number;
  sort: string;
  dir: "asc" | "desc";
  getRowId: (row: TData) => string;
  searchPlaceholder?: string;
  filters?: DataTableFilter[];
  bulkActions?: (selected: TData[], clearSelection: () => void) => ReactNode;
  emptyState: ReactNode;
  label: string;
  /** False for a list handed over whole: a count instead of page controls that would do nothing. */
  paged?: boolean;
}) {
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const [columnVisibility, setColumnVisibility] = useState<ColumnVisibilityState>({});
  const clearSelection = () => setRowSelection({});
  // A new page, order or filter shows other rows, so a selection would point at rows no longer in view.
  const url = useDataTableUrlState({ onNavigate: clearSelection });

  const sorting: SortingState = useMemo(() => [{ id: sort, desc: dir === "desc" }], [sort, dir]);
  const allColumns = useMemo(() => (bulkActions ? [getSelectionColumn<TData>(), ...columns] : columns), [bulkActions, columns]);

  const table = useTable({
    features: dataTableFeatures,
    data,
    columns: allColumns,
    getRowId,
    manualPagination: true,
    manualSorting: true,
    rowCount: total,
    enableRowSelection: true,
    enableSortingRemoval: false,
    state: { sorting, pagination: { pageIndex: page - 1, pageSize: size }, rowSelection, columnVisibility },
    onRowSelectionChange: setRowSelection,
    onColumnVisibilityChange: setColumnVisibility,
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      const first = next[0];
      if (first) url.navigate({ sort: first.id, dir: first.desc ? "desc" : "asc" });
    },
  });

  const rows = table.getRowModel().rows;
  return (
    <div className="space-y-3">
      <DataTableToolbar table={table} url={url} searchPlaceholder={searchPlaceholder} filters={filters} />

      {bulkActions ? <DataTableSelectionBar selected={table.getSelectedRowModel().rows.map((row) => row.original)} bulkActions={bulkActions} onClear={clearSelection} /> : null}

      {/* relative: absolutely positioned cells (sr-only labels) stay inside the scrolling box instead of widening the page. */}
      <div className={cn("relative overflow-x-auto rounded-lg border bg-surface transition-opacity", url.navigating && "opacity-60")} aria-busy={url.navigating}>
        <table className="w-full text-sm" aria-label={label}>
          <thead className="border-b bg-muted/40 text-left text-xs text-muted-foreground">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => (
                  <DataTableColumnHeader key={header.id} table={table} header={header} />
                ))}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y">
            {rows.length === 0 ? (
              <tr>
                <td colSpan={table.getVisibleLeafColumns().length} className="px-3 py-10 text-center">
                  {emptyState}
                </td>
              </tr>
            ) : (
              rows.map((row) => (
                <tr key={row.id} data-state={row.getIsSelected() ? "selected" : undefined} className="data-[state=selected]:bg-primary/5">
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-3 py-2 align-middle">
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>

      {paged ? (
        <DataTablePagination total={total} page={page} size={size} pageSizes={pageSizes} cursor={cursor} shown={data.length} navigate={url.navigate} />
      ) : (
        <p className="text-sm text-muted-foreground">{total === 1 ? "1 row" : `${total.toLocaleString("en-US")} rows`}</p>
      )}
    </div>
  );
}
