import type { AdminRow } from "@/lib/admins/admins";
import { ADMIN_ROLES, ROLE_DESCRIPTIONS, type AdminRole } from "@/lib/auth/admin-roles";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";

export type AdminRowActions = {
  onChangeRole: (admin: AdminRow, role: AdminRole) => void;
  onReissueInvitation: (admin: AdminRow) => void;
  onResetPassword: (admin: AdminRow) => void;
  onEnable: (admin: AdminRow) => void;
  onDisable: (admin: AdminRow) => void;
};

export function getAdminsColumns({
  editable,
  canManageOwners,
  currentAdminId,
  pending,
  actions,
}: {
  editable: boolean;
  canManageOwners: boolean;
  currentAdminId: string;
  pending: boolean;
  actions: AdminRowActions;
}): DataTableColumn<AdminRow>[] {
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
            onChange={(event) => actions.onChangeRole(row.original, event.target.value as AdminRole)}
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
          <Badge tone={row.original.status === "active" ? "success" : row.original.status === "disabled" ? "danger" : "warning"}>{row.original.status}</Badge>
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
              <Button variant="ghost" size="sm" disabled={pending} onClick={() => actions.onReissueInvitation(row.original)}>
                New invitation link
              </Button>
            ) : null}
            {/* Only owners reset a password, and only one there is: SSO-only accounts have none. */}
            {canManageOwners && row.original.status === "active" && row.original.signInMethods.includes("password") ? (
              <Button variant="ghost" size="sm" disabled={pending} onClick={() => actions.onResetPassword(row.original)}>
                Reset password
              </Button>
            ) : null}
            {row.original.status === "disabled" ? (
              <Button variant="secondary" size="sm" disabled={pending} onClick={() => actions.onEnable(row.original)}>
                Enable
              </Button>
            ) : (
              <Button variant="ghost" size="sm" className="text-destructive" disabled={pending} onClick={() => actions.onDisable(row.original)}>
                Disable
              </Button>
            )}
          </div>
        ) : null,
    },
  ];
}
