"use client";

import * as Menu from "@radix-ui/react-dropdown-menu";
import {
  columnVisibilityFeature,
  rowPaginationFeature,
  rowSelectionFeature,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type ColumnDef,
  type RowData,
  type RowSelectionState,
  type SortingState,
  type ColumnVisibilityState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, ChevronLeft, ChevronRight, Columns3, Search } from "lucide-react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState, useTransition, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Input, Select } from "@/components/ui/input";
import { PAGE_SIZES } from "@/lib/list-query";

export const dataTableFeatures = tableFeatures({ rowSortingFeature, rowPaginationFeature, rowSelectionFeature, columnVisibilityFeature });
export type DataTableColumn<TData extends RowData> = ColumnDef<typeof dataTableFeatures, TData>;

export type DataTableFilter = { id: string; label: string; options: { value: string; label: string }[] };



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
}: {
  data: TData[];
  columns: DataTableColumn<TData>[];
  total?: number;
  page?: number;
  /** Keyset paging instead of numbered pages: the cursors of the neighbouring pages, null at either end. */
  cursor?: { newer: string | null; older: string | null };
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
}) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const [navigating, startNavigation] = useTransition();
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const [columnVisibility, setColumnVisibility] = useState<ColumnVisibilityState>({});
  const [search, setSearch] = useState(searchParams.get("q") ?? "");

  const pageCount = Math.max(1, Math.ceil(total / size));
  const sorting: SortingState = useMemo(() => [{ id: sort, desc: dir === "desc" }], [sort, dir]);

  function navigate(changes: Record<string, string | null>) {
    const next = new URLSearchParams(searchParams.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    // Any change but paging itself starts again at the first page.
    if (!("page" in changes || "before" in changes || "after" in changes)) {
      next.delete("page");
      next.delete("before");
      next.delete("after");
    }
    setRowSelection({});
    startNavigation(() => router.replace(`${pathname}?${next.toString()}`, { scroll: false }));
  }

  // Typing searches after a pause, not on every key.
  useEffect(() => {
    const current = searchParams.get("q") ?? "";
    if (search === current) return;
    const timer = setTimeout(() => navigate({ q: search }), 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const allColumns = useMemo<DataTableColumn<TData>[]>(
    () =>
      bulkActions
        ? [
            {
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
            },
            ...columns,
          ]
        : columns,
    [bulkActions, columns],
  );

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
      if (first) navigate({ sort: first.id, dir: first.desc ? "desc" : "asc" });
    },
  });

  const selected = table.getSelectedRowModel().rows.map((row) => row.original);
  const hidableColumns = table.getAllLeafColumns().filter((column) => column.getCanHide());
  const from = total === 0 ? 0 : (page - 1) * size + 1;
  const to = Math.min(total, page * size);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-2">
        {searchPlaceholder ? (
          <div className="relative w-full max-w-xs">
            <Search className="pointer-events-none absolute top-2.5 left-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
            <Input
              type="search"
              aria-label={searchPlaceholder}
              placeholder={searchPlaceholder}
              value={search}
              onChange={(event) => setSearch(event.target.value)}
              className="pl-8"
            />
          </div>
        ) : null}
        {filters.map((filter) => (
          <Select
            key={filter.id}
            aria-label={filter.label}
            value={searchParams.get(filter.id) ?? ""}
            onChange={(event) => navigate({ [filter.id]: event.target.value })}
            className="w-auto"
          >
            <option value="">{filter.label}: all</option>
            {filter.options.map((option) => (
              <option key={option.value} value={option.value}>
                {filter.label}: {option.label}
              </option>
            ))}
          </Select>
        ))}
        <div className="ml-auto flex items-center gap-2">
          {navigating ? (
            <span role="status" className="text-xs text-muted-foreground">
              Loading…
            </span>
          ) : null}
          {hidableColumns.length ? (
            <Menu.Root>
              <Menu.Trigger asChild>
                <Button variant="secondary" size="sm">
                  <Columns3 className="h-4 w-4" aria-hidden /> Columns
                </Button>
              </Menu.Trigger>
              <Menu.Portal>
                <Menu.Content align="end" sideOffset={4} className="z-50 min-w-44 rounded-md border bg-surface p-1 shadow-lg">
                  {hidableColumns.map((column) => (
                    <Menu.CheckboxItem
                      key={column.id}
                      checked={column.getIsVisible()}
                      onCheckedChange={(value) => column.toggleVisibility(Boolean(value))}
                      onSelect={(event) => event.preventDefault()}
                      className="flex items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-muted"
                    >
                      <span className="w-4 text-center">{column.getIsVisible() ? "✓" : ""}</span>
                      {typeof column.columnDef.header === "string" ? column.columnDef.header : column.id}
                    </Menu.CheckboxItem>
                  ))}
                </Menu.Content>
              </Menu.Portal>
            </Menu.Root>
          ) : null}
        </div>
      </div>

      {bulkActions && selected.length > 0 ? (
        <div className="flex flex-wrap items-center gap-3 rounded-md border bg-muted/50 px-3 py-2 text-sm">
          <span>{selected.length} selected</span>
          {bulkActions(selected, () => setRowSelection({}))}
          <Button variant="ghost" size="sm" onClick={() => setRowSelection({})}>
            Clear selection
          </Button>
        </div>
      ) : null}

      <div className={cn("overflow-x-auto rounded-lg border bg-surface transition-opacity", navigating && "opacity-60")} aria-busy={navigating}>
        <table className="w-full text-sm" aria-label={label}>
          <thead className="border-b bg-muted/40 text-left text-xs text-muted-foreground">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sortable = header.column.getCanSort();
                  const direction = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      className="px-3 py-2 font-medium"
                      aria-sort={direction === "asc" ? "ascending" : direction === "desc" ? "descending" : undefined}
                    >
                      {sortable ? (
                        <button
                          type="button"
                          className="inline-flex items-center gap-1 hover:text-foreground"
                          onClick={header.column.getToggleSortingHandler()}
                        >
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
                })}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y">
            {table.getRowModel().rows.length === 0 ? (
              <tr>
                <td colSpan={table.getVisibleLeafColumns().length} className="px-3 py-10 text-center">
                  {emptyState}
                </td>
              </tr>
            ) : (
              table.getRowModel().rows.map((row) => (
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

      <div className="flex flex-wrap items-center justify-between gap-3 text-sm text-muted-foreground">
        <span>{cursor ? `${data.length} shown, newest first` : `${from}–${to} of ${total}`}</span>
        <div className="flex items-center gap-2">
          <label className="flex items-center gap-2">
            Rows per page
            <Select value={String(size)} onChange={(event) => navigate({ size: event.target.value })} className="h-8 w-24">
              {pageSizes.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </Select>
          </label>
          {cursor ? (
            <>
              <Button variant="secondary" size="sm" disabled={!cursor.newer} onClick={() => navigate({ after: cursor.newer, before: null })}>
                <ChevronLeft className="h-4 w-4" aria-hidden /> Newer
              </Button>
              <Button variant="secondary" size="sm" disabled={!cursor.older} onClick={() => navigate({ before: cursor.older, after: null })}>
                Older <ChevronRight className="h-4 w-4" aria-hidden />
              </Button>
            </>
          ) : (
            <>
              <span>
                Page {page} of {pageCount}
              </span>
              <Button variant="secondary" size="icon" aria-label="Previous page" disabled={page <= 1} onClick={() => navigate({ page: String(page - 1) })}>
                <ChevronLeft className="h-4 w-4" aria-hidden />
              </Button>
              <Button
                variant="secondary"
                size="icon"
                aria-label="Next page"
                disabled={page >= pageCount}
                onClick={() => navigate({ page: String(page + 1) })}
              >
                <ChevronRight className="h-4 w-4" aria-hidden />
              </Button>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
