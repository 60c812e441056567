"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import type { AdminListQuery, AdminRow } from "@/lib/admins/admins";
import { ADMIN_ROLES, ROLE_DESCRIPTIONS, type AdminRole } from "@/lib/auth/admin-roles";
import {
  changeAdminRoleAction,
  reissueInvitationAction,
  setAdminDisabledAction,
  startPasswordResetAction,
} from "@/actions/admins";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Select } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";
import { CopyableValue } from "@/components/ui/copyable-value";

type Feedback = { tone: "success" | "error"; message: string; link?: { url: string; label: string } };

export function AdminsTable({
  rows,
  total,
  query,
  currentAdminId,
  editable,
  canManageOwners,
}: {
  rows: AdminRow[];
  total: number;
  query: AdminListQuery;
  currentAdminId: string;
  editable: boolean;
  canManageOwners: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [confirming, setConfirming] = useState<AdminRow | null>(null);

  function run(work: () => Promise<Feedback>) {
    startTransition(async () => {
      const result = await work();
      setFeedback(result);
      // Success or a stale write: either way, show what the database holds now.
      router.refresh();
    });
  }

  const columns = useMemo<DataTableColumn<AdminRow>[]>(() => {
    const mayEdit = (row: AdminRow) => editable && (canManageOwners || row.role !== "OWNER");
    return [
      {
        id: "email",
        accessorKey: "email",
        header: "Admin",
        enableHiding: false,
        cell: ({ row }) => (
          <div>
            <div className="font-medium">{row.original.email}</div>
            {row.original.name ? <div className="text-xs text-muted-foreground">{row.original.name}</div> : null}
          </div>
        ),
      },
      {
        id: "role",
        accessorKey: "role",
        header: "Role",
        cell: ({ row }) =>
          mayEdit(row.original) ? (
            <Select
              aria-label={`Role of ${row.original.email}`}
              value={row.original.role}
              disabled={pending}
              className="h-8 w-32"
              onChange={(event) => {
                const role = event.target.value as AdminRole;
                run(async () => {
                  const result = await changeAdminRoleAction({ adminId: row.original.id, role, version: row.original.version });
                  return result.ok
                    ? { tone: "success", message: `${row.original.email} is now ${role}. Their sessions have ended; they sign in again with the new role.` }
                    : { tone: "error", message: result.error };
                });
              }}
            >
              {ADMIN_ROLES.filter((role) => canManageOwners || role !== "OWNER").map((role) => (
                <option key={role} value={role} title={ROLE_DESCRIPTIONS[role]}>
                  {role}
                </option>
              ))}
            </Select>
          ) : (
            <Badge tone={row.original.role === "OWNER" ? "primary" : "neutral"}>{row.original.role}</Badge>
          ),
      },
      {
        id: "status",
        header: "Status",
        enableSorting: false,
        cell: ({ row }) => (
          <div className="flex items-center gap-2">
            <Badge tone={row.original.status === "active" ? "success" : row.original.status === "disabled" ? "danger" : "warning"}>
              {row.original.status}
            </Badge>
            <span className="text-xs text-muted-foreground">{row.original.signInMethods.join(" · ")}</span>
          </div>
        ),
      },
      {
        id: "lastSignInAt",
        accessorKey: "lastSignInAt",
        header: "Last sign-in",
        cell: ({ row }) => <RelativeTime iso={row.original.lastSignInAt} />,
      },
      {
        id: "createdAt",
        accessorKey: "createdAt",
        header: "Added",
        cell: ({ row }) => <RelativeTime iso={row.original.createdAt} />,
      },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) =>
          mayEdit(row.original) && row.original.id !== currentAdminId ? (
            <div className="flex justify-end gap-2">
              {row.original.status === "invited" ? (
                <Button
                  variant="ghost"
                  size="sm"
                  disabled={pending}
                  onClick={() =>
                    run(async () => {
                      const result = await reissueInvitationAction({ adminId: row.original.id });
                      return result.ok
                        ? {
                            tone: "success",
                            message: `New invitation link for ${result.data.email}. Earlier links no longer work.`,
                            link: { url: result.data.invitationUrl, label: "Invitation link" },
                          }
                        : { tone: "error", message: result.error };
                    })
                  }
                >
                  New invitation link
                </Button>
              ) : null}
              {/* Only owners reset a password, and only one there is: SSO-only accounts have none. */}
              {canManageOwners && row.original.status === "active" && row.original.signInMethods.includes("password") ? (
                <Button
                  variant="ghost"
                  size="sm"
                  disabled={pending}
                  onClick={() =>
                    run(async () => {
                      const result = await startPasswordResetAction({ adminId: row.original.id });
                      return result.ok
                        ? {
                            tone: "success",
                            message: `Password reset link for ${result.data.email}. It works once, within 24 hours; their current password keeps working until it is used.`,
                            link: { url: result.data.resetUrl, label: "Password reset link" },
                          }
                        : { tone: "error", message: result.error };
                    })
                  }
                >
                  Reset password
                </Button>
              ) : null}
              {row.original.status === "disabled" ? (
                <Button
                  variant="secondary"
                  size="sm"
                  disabled={pending}
                  onClick={() =>
                    run(async () => {
                      const result = await setAdminDisabledAction({ adminId: row.original.id, disabled: false, version: row.original.version });
                      return result.ok ? { tone: "success", message: `${row.original.email} can sign in again.` } : { tone: "error", message: result.error };
                    })
                  }
                >
                  Enable
                </Button>
              ) : (
                <Button variant="ghost" size="sm" className="text-destructive" disabled={pending} onClick={() => setConfirming(row.original)}>
                  Disable
                </Button>
              )}
            </div>
          ) : null,
      },
    ];
    // run is stable enough for rendering: it only closes over setters and the router.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editable, canManageOwners, currentAdminId, pending]);

  return (
    <div className="space-y-4">
      {feedback ? (
        <Alert tone={feedback.tone === "success" ? "success" : "error"}>
          {feedback.message}
          {feedback.link ? <CopyableValue value={feedback.link.url} label={feedback.link.label} /> : null}
        </Alert>
      ) : null}
      <DataTable
        label="Admins"
        data={rows}
        columns={columns}
        total={total}
        page={query.page}
        size={query.size}
        sort={query.sort}
        dir={query.dir}
        getRowId={(row) => row.id}
        searchPlaceholder="Search by email or name"
        filters={[
          { id: "role", label: "Role", options: ADMIN_ROLES.map((role) => ({ value: role, label: role })) },
          {
            id: "status",
            label: "Status",
            options: [
              { value: "active", label: "active" },
              { value: "invited", label: "invited" },
              { value: "disabled", label: "disabled" },
            ],
          },
        ]}
        emptyState={
          <p className="text-sm text-muted-foreground">
            {query.q || query.role || query.status ? "No admin matches these filters. Clear them to see everyone." : "No admins yet."}
          </p>
        }
      />
      <ConfirmDialog
        open={confirming !== null}
        onOpenChange={(open) => !open && setConfirming(null)}
        title={`Disable ${confirming?.email ?? ""}?`}
        description="Every session they have ends at once, and they cannot sign in until an admin enables them again. Their audit history stays."
        confirmLabel="Disable admin"
        pending={pending}
        onConfirm={() => {
          const target = confirming;
          setConfirming(null);
          if (!target) return;
          run(async () => {
            const result = await setAdminDisabledAction({ adminId: target.id, disabled: true, version: target.version });
            return result.ok ? { tone: "success", message: `${target.email} is disabled.` } : { tone: "error", message: result.error };
          });
        }}
      />
    </div>
  );
}
