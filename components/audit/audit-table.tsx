"use client";

import { Radio } from "lucide-react";
import { usePathname, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import type { AuditRow } from "@/lib/audit/query";
import { AUDIT_PAGE_SIZES } from "@/lib/audit/page-sizes";
import { DataTable } from "@/components/data-table/data-table";
import { Button } from "@/components/ui/button";
import { getAuditColumns } from "./audit-columns";

const LIVE_INTERVAL_MS = 3_000;
const LIVE_MAX_ROWS = 500;

/**
 * The trail, newest first, by keyset pages. Live mode (first page only) asks
 * the server every few seconds for events stored since, and puts them on top.
 */
export function AuditTable({
  environment,
  rows,
  newer,
  older,
  size,
  livePosition,
}: {
  environment: string;
  rows: AuditRow[];
  newer: string | null;
  older: string | null;
  size: number;
  /** Where live mode starts: the trail's stored position when the page was rendered. */
  livePosition: string;
}) {
  const pathname = usePathname();
  const params = useSearchParams();
  const onFirstPage = !params.get("before") && !params.get("after");
  const [live, setLive] = useState(false);
  const [arrived, setArrived] = useState<AuditRow[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);

  // The page remounts this table when filters or paging change, which empties the live feed.
  const paramsKey = params.toString();

  useEffect(() => {
    if (!live || !onFirstPage) return;
    let since = livePosition;
    let stopped = false;
    const query = new URLSearchParams(params.toString());
    const poll = async () => {
      query.set("since", since);
      try {
        const response = await fetch(`/api/audit/${environment}/live?${query.toString()}`, { cache: "no-store" });
        if (!response.ok) throw new Error(((await response.json().catch(() => null)) as { error?: string } | null)?.error ?? `HTTP ${response.status}`);
        const result = (await response.json()) as { rows: AuditRow[]; position: string };
        if (stopped) return;
        since = result.position;
        setLiveError(null);
        if (result.rows.length) setArrived((current) => [...result.rows, ...current].slice(0, LIVE_MAX_ROWS));
      } catch (error) {
        if (!stopped) setLiveError(`Live updates paused: ${error instanceof Error ? error.message : String(error)}. Retrying.`);
      }
    };
    const timer = setInterval(() => void poll(), LIVE_INTERVAL_MS);
    void poll();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [live, onFirstPage, livePosition, environment, params]);

  const detailHref = (id: string) => {
    const next = new URLSearchParams(params.toString());
    next.set("event", id);
    return `${pathname}?${next.toString()}`;
  };

  const columns = useMemo(
    () => getAuditColumns({ detailHref }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [pathname, paramsKey],
  );

  // A refreshed page may already hold some of the events the live feed brought.
  const loaded = new Set(rows.map((row) => row.id));
  const shown = onFirstPage ? [...arrived.filter((row) => !loaded.has(row.id)), ...rows] : rows;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <Button variant={live ? "primary" : "secondary"} size="sm" aria-pressed={live} disabled={!onFirstPage} onClick={() => setLive((value) => !value)}>
          <Radio className="h-4 w-4" aria-hidden /> {live ? "Live: on" : "Live: off"}
        </Button>
        <span className="text-muted-foreground" role="status">
          {!onFirstPage
            ? "Live mode follows the newest page."
            : live
              ? arrived.length
                ? `${arrived.length} new event${arrived.length === 1 ? "" : "s"} since you opened the page.`
                : "Watching for new events…"
              : null}
        </span>
        {liveError ? <span className="text-destructive">{liveError}</span> : null}
      </div>
      <DataTable
        label="Audit events"
        data={shown}
        columns={columns}
        cursor={{ newer, older }}
        pageSizes={AUDIT_PAGE_SIZES}
        size={size}
        sort="ts"
        dir="desc"
        getRowId={(row) => row.id}
        emptyState={
          <p className="text-sm text-muted-foreground">
            No events match these filters. Widen the time range or clear a filter; MCP servers report tool calls through the SDK once they have an API key.
          </p>
        }
      />
    </div>
  );
}
