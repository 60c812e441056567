"use client";

import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, useTransition } from "react";
import { resendDeliveryAction } from "@/actions/notifications";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { StaticTable } from "@/components/data-table/static-table";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import type { DeliveryRow } from "@/lib/notifications/webhooks";

const REFRESH_MS = 3_000;
const TONE = { PENDING: "warning", DELIVERED: "success", FAILED: "danger" } as const;

/** A destination's messages, newest first; refreshes itself while some are queued. */
export function DeliveryLog({ environment, webhookId, rows, live, editable }: { environment: string; webhookId: string; rows: DeliveryRow[]; live: boolean; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => router.refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, router]);

  const columns = useMemo<DataTableColumn<DeliveryRow>[]>(
    () => [
      {
        id: "event",
        header: "Event",
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) => (
          <details>
            <summary className="cursor-pointer font-mono text-sm">{row.original.eventType}</summary>
            <div className="mt-1 text-xs text-muted-foreground">webhook-id {row.original.messageId}</div>
            <pre className="mt-1 max-w-xl overflow-x-auto rounded bg-muted p-2 text-xs">{JSON.stringify(row.original.payload, null, 2)}</pre>
          </details>
        ),
      },
      {
        id: "status",
        header: "Status",
        enableSorting: false,
        cell: ({ row }) => (
          <div>
            <Badge tone={TONE[row.original.status]}>{row.original.status === "PENDING" ? (row.original.attempts ? "retrying" : "queued") : row.original.status.toLowerCase()}</Badge>
            {row.original.lastError ? <div className="mt-1 text-xs text-muted-foreground">{row.original.lastError}</div> : null}
            {row.original.nextAttemptAt && row.original.attempts ? (
              <div className="text-xs text-muted-foreground">
                next attempt <RelativeTime iso={row.original.nextAttemptAt} />
              </div>
            ) : null}
          </div>
        ),
      },
      { id: "attempts", header: "Attempts", enableSorting: false, cell: ({ row }) => row.original.attempts },
      {
        id: "response",
        header: "Response",
        enableSorting: false,
        cell: ({ row }) =>
          row.original.lastStatusCode || row.original.lastDurationMs !== null ? (
            <span className="text-sm">
              {row.original.lastStatusCode ? `HTTP ${row.original.lastStatusCode}` : "no answer"}
              {row.original.lastDurationMs !== null ? ` · ${row.original.lastDurationMs} ms` : ""}
            </span>
          ) : (
            <span className="text-muted-foreground">—</span>
          ),
      },
      { id: "createdAt", header: "Queued", enableSorting: false, cell: ({ row }) => <RelativeTime iso={row.original.createdAt} /> },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) =>
          editable && row.original.status !== "PENDING" ? (
            <Button
              variant="ghost"
              size="sm"
              disabled={pending}
              onClick={() =>
                startTransition(async () => {
                  const result = await resendDeliveryAction({ environment, webhookId, deliveryId: row.original.id });
                  setFeedback(result.ok ? { tone: "success", message: `${row.original.eventType} is queued again.` } : { tone: "error", message: result.error });
                  router.refresh();
                })
              }
            >
              Send again
            </Button>
          ) : null,
      },
    ],
    [environment, webhookId, editable, pending, router],
  );

  return (
    <div className="space-y-3">
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      <StaticTable
        label="Deliveries"
        data={rows}
        columns={columns}
        order={{ sort: "createdAt", dir: "desc" }}
        getRowId={(row) => row.id}
        emptyState={<p className="text-sm text-muted-foreground">Nothing sent yet. Send a test event to check that the receiver accepts Warden&apos;s signature.</p>}
      />
    </div>
  );
}
