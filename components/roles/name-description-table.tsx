"use client";

import { useRouter } from "next/navigation";
import { Fragment, useMemo, useState, useTransition, type ReactNode } from "react";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { ConfirmDialog } from "@/components/ui/dialog";
import { getRowActionsColumn, type NamedRow } from "./name-description-columns";

export type Feedback = { tone: "success" | "error"; message: string };

/**
 * The list of roles or of scopes: a searchable, sortable table of named rows
 * with Edit and Delete on each, the edit dialog, the delete confirmation and
 * the feedback of either. What differs between them comes in as arguments.
 */
export function NameDescriptionTable<TRow extends NamedRow>({
  noun,
  label,
  rows,
  total,
  query,
  editable,
  columns,
  searchPlaceholder,
  emptyState,
  renderEditDialog,
  deleteConfirmation,
  deleteRow,
}: {
  /** "role" or "scope": names the buttons and the confirmation. */
  noun: string;
  label: string;
  rows: TRow[];
  total: number;
  query: { page: number; size: number; sort: string; dir: "asc" | "desc" };
  editable: boolean;
  /** Every column but the trailing actions; keep it memoized. */
  columns: DataTableColumn<TRow>[];
  searchPlaceholder: string;
  emptyState: ReactNode;
  renderEditDialog: (dialog: { row: TRow; onOpenChange: (open: boolean) => void; onSaved: (message: string) => void }) => ReactNode;
  /** What deleting the row would do; null while the confirmation closes. */
  deleteConfirmation: (row: TRow | null) => { description: string; confirmLabel: string };
  deleteRow: (row: TRow) => Promise<Feedback>;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [editing, setEditing] = useState<TRow | null>(null);
  const [deleting, setDeleting] = useState<TRow | null>(null);

  const allColumns = useMemo(
    () => [...columns, getRowActionsColumn<TRow>({ noun, editable, pending, onEdit: setEditing, onDelete: setDeleting })],
    [columns, noun, editable, pending],
  );
  const confirmation = deleteConfirmation(deleting);

  return (
    <div className="space-y-4">
      {feedback ? <Alert tone={feedback.tone === "success" ? "success" : "error"}>{feedback.message}</Alert> : null}
      <DataTable
        label={label}
        data={rows}
        columns={allColumns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder={searchPlaceholder}
        emptyState={emptyState}
      />
      {editing ? (
        <Fragment key={editing.id}>
          {renderEditDialog({
            row: editing,
            onOpenChange: (open) => !open && setEditing(null),
            onSaved: (message) => setFeedback({ tone: "success", message }),
          })}
        </Fragment>
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={`Delete ${noun} ${deleting?.name ?? ""}?`}
        description={confirmation.description}
        confirmLabel={confirmation.confirmLabel}
        pending={pending}
        onConfirm={() => {
          const target = deleting;
          setDeleting(null);
          if (!target) return;
          startTransition(async () => {
            setFeedback(await deleteRow(target));
            router.refresh();
          });
        }}
      />
    </div>
  );
}
