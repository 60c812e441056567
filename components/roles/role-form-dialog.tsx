"use client";

import type { RoleRow } from "@/lib/roles/roles";
import { SUGGESTED_CLAIM_NAMES } from "@/lib/roles/claim-names";
import { createRoleAction, updateRoleAction } from "@/actions/roles";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { CreateNamedButton, NameDescriptionFormDialog } from "./name-description-form-dialog";

type RoleValues = Pick<RoleRow, "name" | "description" | "claimName" | "claimValue"> & { id?: string; version?: number };

const EMPTY: RoleValues = { name: "", description: null, claimName: "roles", claimValue: "" };

export function CreateRoleButton({ envKey }: { envKey: string }) {
  return <CreateNamedButton label="Create role" dialog={({ open, onOpenChange }) => <RoleFormDialog envKey={envKey} open={open} onOpenChange={onOpenChange} role={null} />} />;
}

/** Creates a role, or edits one; a stale edit shows the values someone else saved and keeps the dialog open. */
export function RoleFormDialog({
  envKey,
  open,
  onOpenChange,
  role,
  onSaved,
}: {
  envKey: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  role: (RoleValues & { id: string; version: number }) | null;
  onSaved?: (message: string) => void;
}) {
  return (
    <NameDescriptionFormDialog
      noun="role"
      open={open}
      onOpenChange={onOpenChange}
      current={role}
      empty={EMPTY}
      description="A role maps from a claim your identity provider puts in tokens: a user whose token carries the value gets the role."
      save={(fields, version) => (role ? updateRoleAction({ ...fields, environment: envKey, roleId: role.id, version }) : createRoleAction({ ...fields, environment: envKey }))}
      savedMessage={(data) => (role ? `Role ${data.name} saved.` : `Role ${data.name} created.`)}
      onSaved={onSaved}
      extraFields={({ values, fieldErrors, prefix }) => (
        <>
          <Field
            id={`${prefix}-claim-name`}
            label="Claim name"
            hint="The token claim that lists the user's roles: usually roles, groups or permissions."
            errors={fieldErrors.claimName}
          >
            <Input
              id={`${prefix}-claim-name`}
              name="claimName"
              list={`${prefix}-claim-names`}
              defaultValue={values.claimName}
              required
              aria-invalid={Boolean(fieldErrors.claimName)}
            />
          </Field>
          <datalist id={`${prefix}-claim-names`}>
            {SUGGESTED_CLAIM_NAMES.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <Field id={`${prefix}-claim-value`} label="Claim value" hint="The value in that claim that grants this role, for example sales-agent." errors={fieldErrors.claimValue}>
            <Input id={`${prefix}-claim-value`} name="claimValue" defaultValue={values.claimValue} required aria-invalid={Boolean(fieldErrors.claimValue)} />
          </Field>
        </>
      )}
    />
  );
}
