"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { RISK_TIERS } from "@/lib/tools/schemas";
import type { ToolListQuery, ToolRow } from "@/lib/tools/tools";
import { setToolsEnabledAction } from "@/actions/tools";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import { RiskBadge } from "./tool-badges";

type Feedback = { tone: "success" | "error"; message: string };

export function ToolsTable({
  rows,
  total,
  query,
  environmentId,
  serverId,
  basePath,
  editable,
}: {
  rows: ToolRow[];
  total: number;
  query: ToolListQuery;
  environmentId: string;
  serverId: string;
  basePath: string;
  editable: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);

  function setEnabled(tools: ToolRow[], enabled: boolean, done?: () => void) {
    startTransition(async () => {
      const result = await setToolsEnabledAction({ environmentId, serverId, toolIds: tools.map((tool) => tool.id), enabled });
      if (result.ok) {
        const changed = result.data.changed.length;
        setFeedback({
          tone: "success",
          message: changed ? `${enabled ? "Enabled" : "Disabled"} ${changed} tool${changed === 1 ? "" : "s"}.` : `Already ${enabled ? "enabled" : "disabled"}.`,
        });
        done?.();
      } else {
        setFeedback({ tone: "error", message: result.error });
      }
      router.refresh();
    });
  }

  const columns = useMemo<DataTableColumn<ToolRow>[]>(
    () => [
      {
        id: "name",
        accessorKey: "name",
        header: "Name",
        enableHiding: false,
        cell: ({ row }) => (
          <Link href={`${basePath}/tools/${row.original.id}`} className="font-mono font-medium text-primary hover:underline">
            {row.original.name}
          </Link>
        ),
      },
      { id: "title", accessorKey: "title", header: "Title", cell: ({ row }) => row.original.title ?? <span className="text-muted-foreground">—</span> },
      {
        id: "riskTier",
        accessorKey: "riskTier",
        header: "Risk",
        cell: ({ row }) => (
          <div className="flex flex-wrap items-center gap-1">
            <RiskBadge tier={row.original.riskTier} />
            {row.original.destructive ? <Badge tone="danger">destructive</Badge> : null}
          </div>
        ),
      },
      {
        id: "enabled",
        accessorKey: "enabled",
        header: "Enabled",
        cell: ({ row }) =>
          editable ? (
            <label className="inline-flex items-center gap-2">
              <input
                type="checkbox"
                role="switch"
                className="h-4 w-4"
                aria-label={`${row.original.name} enabled`}
                checked={row.original.enabled}
                disabled={pending}
                onChange={(event) => setEnabled([row.original], event.target.checked)}
              />
              <span className="text-xs">{row.original.enabled ? "on" : "off"}</span>
            </label>
          ) : (
            <Badge tone={row.original.enabled ? "success" : "neutral"}>{row.original.enabled ? "enabled" : "disabled"}</Badge>
          ),
      },
      {
        id: "requiresApproval",
        header: "Approval",
        enableSorting: false,
        cell: ({ row }) => (row.original.requiresApproval ? <Badge tone="warning">human approval</Badge> : <span className="text-muted-foreground">—</span>),
      },
      {
        id: "changed",
        header: "Definition",
        enableSorting: false,
        cell: ({ row }) =>
          row.original.changedSinceApproval ? <Badge tone="warning">changed since approval</Badge> : <span className="text-xs text-muted-foreground">approved</span>,
      },
      { id: "updatedAt", accessorKey: "updatedAt", header: "Updated", cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} /> },
    ],
    // setEnabled closes over setters, the router and stable ids only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [basePath, editable, pending],
  );

  const filtered = Boolean(query.q || query.enabled || query.risk || query.changed);
  return (
    <div className="space-y-3">
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      <DataTable
        label="Tools"
        data={rows}
        columns={columns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder="Search tools by name or title"
        filters={[
          { id: "enabled", label: "Enabled", options: [{ value: "true", label: "enabled" }, { value: "false", label: "disabled" }] },
          { id: "risk", label: "Risk", options: RISK_TIERS.map((tier) => ({ value: tier, label: tier })) },
          { id: "changed", label: "Definition", options: [{ value: "true", label: "changed since approval" }] },
        ]}
        bulkActions={
          editable
            ? (selected, clear) => (
                <>
                  <Button size="sm" variant="secondary" disabled={pending} onClick={() => setEnabled(selected, true, clear)}>
                    Enable selected
                  </Button>
                  <Button size="sm" variant="secondary" disabled={pending} onClick={() => setEnabled(selected, false, clear)}>
                    Disable selected
                  </Button>
                </>
              )
            : undefined
        }
        emptyState={
          <p className="text-sm text-muted-foreground">
            {filtered ? "No tool matches these filters. Clear them to see every tool." : editable ? "This server has no tools yet — add the first one." : "This server has no tools yet."}
          </p>
        }
      />
    </div>
  );
}
