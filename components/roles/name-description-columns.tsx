import type { ReactNode } from "react";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Button } from "@/components/ui/button";

/** A row of a name-and-description table: a role or a scope. */
export type NamedRow = { id: string; name: string; description: string | null; version: number; grantCount: number };

/** The leading column: the name, as the caller renders it, with the description under it. */
export function getNameColumn<TRow extends NamedRow>({ header, renderName }: { header: string; renderName: (row: TRow) => ReactNode }): DataTableColumn<TRow> {
  return {
    id: "name",
    accessorKey: "name",
    header,
    enableHiding: false,
    cell: ({ row }) => (
      <div>
        {renderName(row.original)}
        {row.original.description ? <div className="text-xs text-muted-foreground">{row.original.description}</div> : null}
      </div>
    ),
  };
}

/** The trailing Edit and Delete buttons, named after the row for assistive technology. */
export function getRowActionsColumn<TRow extends NamedRow>({
  noun,
  editable,
  pending,
  onEdit,
  onDelete,
}: {
  noun: string;
  editable: boolean;
  pending: boolean;
  onEdit: (row: TRow) => void;
  onDelete: (row: TRow) => void;
}): DataTableColumn<TRow> {
  return {
    id: "actions",
    header: () => <span className="sr-only">Actions</span>,
    enableSorting: false,
    enableHiding: false,
    cell: ({ row }) =>
      editable ? (
        <div className="flex justify-end gap-2">
          <Button variant="ghost" size="sm" aria-label={`Edit ${noun} ${row.original.name}`} onClick={() => onEdit(row.original)}>
            Edit
          </Button>
          <Button
            variant="ghost"
            size="sm"
            className="text-destructive"
            aria-label={`Delete ${noun} ${row.original.name}`}
            disabled={pending}
            onClick={() => onDelete(row.original)}
          >
            Delete
          </Button>
        </div>
      ) : null,
  };
}
