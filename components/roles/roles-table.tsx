"use client";

import { useMemo } from "react";
import type { RoleListQuery, RoleRow } from "@/lib/roles/roles";
import { deleteRoleAction } from "@/actions/roles";
import { NameDescriptionTable } from "./name-description-table";
import { RoleFormDialog } from "./role-form-dialog";
import { getRolesColumns } from "./roles-columns";

const grantsWord = (count: number) => (count === 1 ? "grant" : "grants");

export function RolesTable({ envKey, rows, total, query, editable }: { envKey: string; rows: RoleRow[]; total: number; query: RoleListQuery; editable: boolean }) {
  const columns = useMemo(() => getRolesColumns({ envKey }), [envKey]);
  return (
    <NameDescriptionTable
      noun="role"
      label="Roles"
      rows={rows}
      total={total}
      query={query}
      editable={editable}
      columns={columns}
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
      renderEditDialog={({ row, onOpenChange, onSaved }) => <RoleFormDialog envKey={envKey} open onOpenChange={onOpenChange} role={row} onSaved={onSaved} />}
      deleteConfirmation={(role) => {
        const grantCount = role?.grantCount ?? 0;
        return {
          description:
            grantCount > 0
              ? `Its ${grantCount} ${grantsWord(grantCount)} will be deleted with it: users with this role lose access to ${grantCount === 1 ? "that tool" : "those tools"} once the next configuration is published.`
              : "It has no grants. Users mapped to it lose nothing else.",
          confirmLabel: grantCount > 0 ? `Delete role and ${grantCount} ${grantsWord(grantCount)}` : "Delete role",
        };
      }}
      deleteRow={async (role) => {
        const result = await deleteRoleAction({ environment: envKey, roleId: role.id, version: role.version, grantCount: role.grantCount });
        return result.ok
          ? {
              tone: "success",
              message: `Role ${result.data.name} deleted${result.data.grantsRemoved ? ` with ${result.data.grantsRemoved} ${grantsWord(result.data.grantsRemoved)}` : ""}.`,
            }
          : { tone: "error", message: result.error };
      }}
    />
  );
}
