"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { RISK_TIERS } from "@/lib/tools/schemas";
import type { ToolListQuery, ToolRow } from "@/lib/tools/tools";
import { setToolsEnabledAction } from "@/actions/tools";
import { DataTable } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { getToolsColumns } from "./tools-columns";

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

  const columns = useMemo(
    () => getToolsColumns({ basePath, editable, pending, onSetEnabled: (tool, enabled) => setEnabled([tool], enabled) }),
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
