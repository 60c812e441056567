"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { RoleRow } from "@/lib/roles/roles";
import { deleteRoleAction } from "@/actions/roles";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { RoleFormDialog } from "./role-form-dialog";

/** Edit and delete from the role's own page; after a deletion the role list is the only sensible place to be. */
export function RoleActions({ envKey, role }: { envKey: string; role: RoleRow }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string>();
  const grants = `${role.grantCount} ${role.grantCount === 1 ? "grant" : "grants"}`;
  return (
    <>
      <Button variant="secondary" onClick={() => setEditing(true)}>
        Edit role
      </Button>
      <Button variant="secondary" className="text-destructive" disabled={pending} onClick={() => setDeleting(true)}>
        Delete role
      </Button>
      {error ? (
        <Alert tone="error" className="basis-full">
          {error}
        </Alert>
      ) : null}
      {editing ? <RoleFormDialog key={role.version} envKey={envKey} open onOpenChange={setEditing} role={role} /> : null}
      <ConfirmDialog
        open={deleting}
        onOpenChange={setDeleting}
        title={`Delete role ${role.name}?`}
        description={
          role.grantCount > 0
            ? `Its ${grants} will be deleted with it: users with this role lose access once the next configuration is published.`
            : "It has no grants. Users mapped to it lose nothing else."
        }
        confirmLabel={role.grantCount > 0 ? `Delete role and ${grants}` : "Delete role"}
        pending={pending}
        onConfirm={() => {
          setDeleting(false);
          startTransition(async () => {
            const result = await deleteRoleAction({ environment: envKey, roleId: role.id, version: role.version, grantCount: role.grantCount });
            if (!result.ok) {
              setError(result.error);
              router.refresh();
              return;
            }
            router.push(`/${envKey}/roles`);
          });
        }}
      />
    </>
  );
}
