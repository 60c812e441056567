"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import type { RoleListQuery, RoleRow } from "@/lib/roles/roles";
import { deleteRoleAction } from "@/actions/roles";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { RelativeTime } from "@/components/ui/relative-time";
import { RoleFormDialog } from "./role-form-dialog";

type Feedback = { tone: "success" | "error"; message: string };

export function RolesTable({ envKey, rows, total, query, editable }: { envKey: string; rows: RoleRow[]; total: number; query: RoleListQuery; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [editing, setEditing] = useState<RoleRow | null>(null);
  const [deleting, setDeleting] = useState<RoleRow | null>(null);

  const columns = useMemo<DataTableColumn<RoleRow>[]>(
    () => [
      {
        id: "name",
        accessorKey: "name",
        header: "Role",
        enableHiding: false,
        cell: ({ row }) => (
          <div>
            <Link href={`/${envKey}/roles/${row.original.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
              {row.original.name}
            </Link>
            {row.original.description ? <div className="text-xs text-muted-foreground">{row.original.description}</div> : null}
          </div>
        ),
      },
      {
        id: "claimValue",
        accessorKey: "claimValue",
        header: "Maps from",
        cell: ({ row }) => (
          <code className="rounded bg-muted px-1.5 py-0.5 text-xs">
            {row.original.claimName} = {row.original.claimValue}
          </code>
        ),
      },
      {
        id: "grants",
        accessorKey: "grantCount",
        header: "Tools granted",
        cell: ({ row }) => <span className="tabular-nums">{row.original.grantCount}</span>,
      },
      {
        id: "createdAt",
        accessorKey: "createdAt",
        header: "Created",
        cell: ({ row }) => <RelativeTime iso={row.original.createdAt} />,
      },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) =>
          editable ? (
            <div className="flex justify-end gap-2">
              <Button variant="ghost" size="sm" aria-label={`Edit role ${row.original.name}`} onClick={() => setEditing(row.original)}>
                Edit
              </Button>
              <Button
                variant="ghost"
                size="sm"
                className="text-destructive"
                aria-label={`Delete role ${row.original.name}`}
                disabled={pending}
                onClick={() => setDeleting(row.original)}
              >
                Delete
              </Button>
            </div>
          ) : null,
      },
    ],
    [envKey, editable, pending],
  );

  const grantCount = deleting?.grantCount ?? 0;
  return (
    <div className="space-y-4">
      {feedback ? <Alert tone={feedback.tone === "success" ? "success" : "error"}>{feedback.message}</Alert> : null}
      <DataTable
        label="Roles"
        data={rows}
        columns={columns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder="Search roles by name or claim value"
        emptyState={
          query.q ? (
            <p className="text-sm text-muted-foreground">No role matches this search. Clear it to see every role.</p>
          ) : (
            <p className="text-sm text-muted-foreground">
              No roles yet.{" "}
              {editable ? "Create a role for each group of users your identity provider names, then grant it tools." : "An admin has not created any roles here."}
            </p>
          )
        }
      />
      {editing ? (
        <RoleFormDialog
          key={editing.id}
          envKey={envKey}
          open
          onOpenChange={(open) => !open && setEditing(null)}
          role={editing}
          onSaved={(message) => setFeedback({ tone: "success", message })}
        />
      ) : null}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={`Delete role ${deleting?.name ?? ""}?`}
        description={
          grantCount > 0
            ? `Its ${grantCount} ${grantCount === 1 ? "grant" : "grants"} will be deleted with it: users with this role lose access to ${grantCount === 1 ? "that tool" : "those tools"} once the next configuration is published.`
            : "It has no grants. Users mapped to it lose nothing else."
        }
        confirmLabel={grantCount > 0 ? `Delete role and ${grantCount} ${grantCount === 1 ? "grant" : "grants"}` : "Delete role"}
        pending={pending}
        onConfirm={() => {
          const target = deleting;
          setDeleting(null);
          if (!target) return;
          startTransition(async () => {
            const result = await deleteRoleAction({ environment: envKey, roleId: target.id, version: target.version, grantCount: target.grantCount });
            setFeedback(
              result.ok
                ? { tone: "success", message: `Role ${result.data.name} deleted${result.data.grantsRemoved ? ` with ${result.data.grantsRemoved} ${result.data.grantsRemoved === 1 ? "grant" : "grants"}` : ""}.` }
                : { tone: "error", message: result.error },
            );
            router.refresh();
          });
        }}
      />
    </div>
  );
}
