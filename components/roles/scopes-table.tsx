"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import type { ScopeListQuery, ScopeRow } from "@/lib/scopes/scopes";
import { deleteScopeAction } from "@/actions/roles";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { RelativeTime } from "@/components/ui/relative-time";
import { ScopeFormDialog } from "./scope-form-dialog";

type Feedback = { tone: "success" | "error"; message: string };

export function ScopesTable({ envKey, rows, total, query, editable }: { envKey: string; rows: ScopeRow[]; total: number; query: ScopeListQuery; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [editing, setEditing] = useState<ScopeRow | null>(null);
  const [deleting, setDeleting] = useState<ScopeRow | null>(null);

  const columns = useMemo<DataTableColumn<ScopeRow>[]>(
    () => [
      {
        id: "name",
        accessorKey: "name",
        header: "Scope",
        enableHiding: false,
        cell: ({ row }) => (
          <div>
            <code className="font-medium">{row.original.name}</code>
            {row.original.description ? <div className="text-xs text-muted-foreground">{row.original.description}</div> : null}
          </div>
        ),
      },
      {
        id: "grantCount",
        header: "Required by",
        enableSorting: false,
        cell: ({ row }) => (
          <span className="tabular-nums">
            {row.original.grantCount} {row.original.grantCount === 1 ? "grant" : "grants"}
          </span>
        ),
      },
      {
        id: "updatedAt",
        accessorKey: "updatedAt",
        header: "Changed",
        cell: ({ row }) => <RelativeTime iso={row.original.updatedAt} />,
      },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) =>
          editable ? (
            <div className="flex justify-end gap-2">
              <Button variant="ghost" size="sm" aria-label={`Edit scope ${row.original.name}`} onClick={() => setEditing(row.original)}>
                Edit
              </Button>
              <Button
                variant="ghost"
                size="sm"
                className="text-destructive"
                aria-label={`Delete scope ${row.original.name}`}
                disabled={pending}
                onClick={() => setDeleting(row.original)}
              >
                Delete
              </Button>
            </div>
          ) : null,
      },
    ],
    [editable, pending],
  );

  return (
    <div className="space-y-4">
      {feedback ? <Alert tone={feedback.tone === "success" ? "success" : "error"}>{feedback.message}</Alert> : null}
      <DataTable
        label="Scopes"
        data={rows}
        columns={columns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder="Search scopes"
        emptyState={
          query.q ? (
            <p className="text-sm text-muted-foreground">No scope matches this search. Clear it to see every scope.</p>
          ) : (
            <p className="text-sm text-muted-foreground">
              No scopes yet. {editable ? "Create the OAuth scopes your grants should require, such as tools:sales.read." : "An admin has not created any scopes here."}
            </p>
          )
        }
      />
      {editing ? (
        <ScopeFormDialog
          key={editing.id}
          envKey={envKey}
          open
          onOpenChange={(open) => !open && setEditing(null)}
          scope={editing}
          onSaved={(message) => setFeedback({ tone: "success", message })}
        />
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={`Delete scope ${deleting?.name ?? ""}?`}
        description={
          deleting && deleting.grantCount > 0
            ? `${deleting.grantCount} ${deleting.grantCount === 1 ? "grant requires" : "grants require"} this scope, so it cannot be deleted until you remove it from them.`
            : "No grant requires it. Tokens may still carry it; Warden will just stop knowing it."
        }
        confirmLabel="Delete scope"
        pending={pending}
        onConfirm={() => {
          const target = deleting;
          setDeleting(null);
          if (!target) return;
          startTransition(async () => {
            const result = await deleteScopeAction({ environment: envKey, scopeId: target.id, version: target.version });
            setFeedback(result.ok ? { tone: "success", message: `Scope ${result.data.name} deleted.` } : { tone: "error", message: result.error });
            router.refresh();
          });
        }}
      />
    </div>
  );
}
