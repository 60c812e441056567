"use client";

import type { RowData } from "@tanstack/react-table";
import { Search } from "lucide-react";
import { Input, Select } from "@/components/ui/input";
import type { DataTableFilter, DataTableInstance } from "./data-table-types";
import type { DataTableUrlState } from "./use-data-table-url-state";
import { DataTableViewOptions } from "./data-table-view-options";

/** Search, one select per filter, the loading note and the Columns menu. */
export function DataTableToolbar<TData extends RowData>({
  table,
  url,
  searchPlaceholder,
  filters,
}: {
  table: DataTableInstance<TData>;
  url: DataTableUrlState;
  searchPlaceholder?: string;
  filters: DataTableFilter[];
}) {
  return (
    <div className="flex flex-wrap items-end gap-2">
      {searchPlaceholder ? (
        <div className="relative w-full max-w-xs">
          <Search className="pointer-events-none absolute top-2.5 left-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            aria-label={searchPlaceholder}
            placeholder={searchPlaceholder}
            value={url.search}
            onChange={(event) => url.setSearch(event.target.value)}
            className="pl-8"
          />
        </div>
      ) : null}
      {filters.map((filter) => (
        <Select key={filter.id} aria-label={filter.label} value={url.param(filter.id)} onChange={(event) => url.navigate({ [filter.id]: event.target.value })} className="w-auto">
          <option value="">{filter.label}: all</option>
          {filter.options.map((option) => (
            <option key={option.value} value={option.value}>
              {filter.label}: {option.label}
            </option>
          ))}
        </Select>
      ))}
      <div className="ml-auto flex items-center gap-2">
        {url.navigating ? (
          <span role="status" className="text-xs text-muted-foreground">
            Loading…
          </span>
        ) : null}
        <DataTableViewOptions table={table} />
      </div>
    </div>
  );
}
