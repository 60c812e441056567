"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import type { VersionRow } from "@/lib/config/publish";
import { rollbackConfigAction } from "@/actions/config";
import { DataTable } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { ConfirmDialog } from "@/components/ui/dialog";
import { getVersionsColumns } from "./versions-columns";

export function VersionsTable({
  environment,
  rows,
  total,
  page,
  size,
  dir,
  liveVersion,
  editable,
}: {
  environment: string;
  rows: VersionRow[];
  total: number;
  page: number;
  size: number;
  dir: "asc" | "desc";
  liveVersion: number | null;
  editable: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [target, setTarget] = useState<number | null>(null);
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);

  const columns = useMemo(
    () => getVersionsColumns({ environment, liveVersion, editable, pending, onRollback: setTarget }),
    [environment, liveVersion, editable, pending],
  );

  return (
    <div className="space-y-3">
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      <DataTable
        label="Config versions"
        data={rows}
        columns={columns}
        total={total}
        page={page}
        size={size}
        sort="version"
        dir={dir}
        getRowId={(row) => String(row.version)}
        emptyState={<p className="text-sm text-muted-foreground">Nothing published yet. MCP servers polling this environment get no configuration, so every call is denied.</p>}
      />
      <ConfirmDialog
        open={target !== null}
        onOpenChange={(open) => !open && setTarget(null)}
        title={`Roll back to version ${target ?? ""}?`}
        description="Its content is published again as a new version. MCP servers pick it up at their next poll; nothing in the draft changes."
        confirmLabel="Roll back"
        pending={pending}
        onConfirm={() => {
          const version = target;
          setTarget(null);
          if (version === null) return;
          startTransition(async () => {
            const result = await rollbackConfigAction({ environment, toVersion: version });
            setFeedback(result.ok ? { tone: "success", message: `Version ${result.data.version} (the content of v${version}) is live.` } : { tone: "error", message: result.error });
            router.refresh();
          });
        }}
      />
    </div>
  );
}
