"use client";

import { ChevronLeft, ChevronRight } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import type { DataTableUrlChanges } from "./data-table-types";

/** Keyset paging: the cursors of the neighbouring pages, null at either end. */
export type DataTableCursor = { newer: string | null; older: string | null };

/** The range shown, the page size, and either numbered pages or newer/older by cursor. */
export function DataTablePagination({
  total,
  page,
  size,
  pageSizes,
  cursor,
  shown,
  navigate,
}: {
  total: number;
  page: number;
  size: number;
  pageSizes: readonly number[];
  cursor?: DataTableCursor;
  /** Rows on this page, for keyset paging where the total is unknown. */
  shown: number;
  navigate: (changes: DataTableUrlChanges) => void;
}) {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const from = total === 0 ? 0 : (page - 1) * size + 1;
  const to = Math.min(total, page * size);
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 text-sm text-muted-foreground">
      <span>{cursor ? `${shown} shown, newest first` : `${from}–${to} of ${total}`}</span>
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
            <Button variant="secondary" size="icon" aria-label="Next page" disabled={page >= pageCount} onClick={() => navigate({ page: String(page + 1) })}>
              <ChevronRight className="h-4 w-4" aria-hidden />
            </Button>
          </>
        )}
      </div>
    </div>
  );
}
