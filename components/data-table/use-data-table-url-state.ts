"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { DataTableUrlChanges } from "./data-table-types";

/** The parameters that say which page is shown; any other change starts again at the first page. */
const PAGING_PARAMS = ["page", "before", "after"] as const;
const SEARCH_DEBOUNCE_MS = 300;

/**
 * The table's state that lives in the URL: paging, sorting, search and
 * filters. Each change replaces the URL (shareable, back-button friendly)
 * and the page re-queries; `navigating` is true until it has.
 */
export function useDataTableUrlState({ onNavigate }: { onNavigate?: () => void } = {}) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const [navigating, startNavigation] = useTransition();
  const [search, setSearch] = useState(searchParams.get("q") ?? "");

  function navigate(changes: DataTableUrlChanges) {
    const next = new URLSearchParams(searchParams.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    if (!PAGING_PARAMS.some((key) => key in changes)) {
      for (const key of PAGING_PARAMS) next.delete(key);
    }
    onNavigate?.();
    startNavigation(() => router.replace(`${pathname}?${next.toString()}`, { scroll: false }));
  }

  // Typing searches after a pause, not on every key.
  useEffect(() => {
    const current = searchParams.get("q") ?? "";
    if (search === current) return;
    const timer = setTimeout(() => navigate({ q: search }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  return {
    navigating,
    navigate,
    search,
    setSearch,
    /** A parameter's current value, "" when absent. */
    param: (key: string) => searchParams.get(key) ?? "",
  };
}

export type DataTableUrlState = ReturnType<typeof useDataTableUrlState>;
