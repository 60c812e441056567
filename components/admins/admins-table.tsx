"use client";

import { useMemo } from "react";
import type { AdminListQuery, AdminRow } from "@/lib/admins/admins";
import { ADMIN_ROLES } from "@/lib/auth/admin-roles";
import { DataTable } from "@/components/data-table/data-table";
import { Alert } from "@/components/ui/alert";
import { ConfirmDialog } from "@/components/ui/dialog";
import { CopyableValue } from "@/components/ui/copyable-value";
import { getAdminsColumns } from "./admins-columns";
import { useAdminsTable } from "./use-admins-table";

const FILTERS = [
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
];

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
  const admins = useAdminsTable();
  const { pending, feedback, confirming } = admins;

  const columns = useMemo(
    () =>
      getAdminsColumns({
        editable,
        canManageOwners,
        currentAdminId,
        pending,
        actions: {
          onChangeRole: admins.changeRole,
          onReissueInvitation: admins.reissueInvitation,
          onResetPassword: admins.startPasswordReset,
          onEnable: admins.enable,
          onDisable: admins.askDisable,
        },
      }),
    // The actions only close over setters and the router, so they need not rebuild the columns.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [editable, canManageOwners, currentAdminId, pending],
  );

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
        filters={FILTERS}
        emptyState={
          <p className="text-sm text-muted-foreground">
            {query.q || query.role || query.status ? "No admin matches these filters. Clear them to see everyone." : "No admins yet."}
          </p>
        }
      />
      <ConfirmDialog
        open={confirming !== null}
        onOpenChange={(open) => !open && admins.cancelDisable()}
        title={`Disable ${confirming?.email ?? ""}?`}
        description="Every session they have ends at once, and they cannot sign in until an admin enables them again. Their audit history stays."
        confirmLabel="Disable admin"
        pending={pending}
        onConfirm={admins.confirmDisable}
      />
    </div>
  );
}
