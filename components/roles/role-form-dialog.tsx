"use client";

import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { RoleRow } from "@/lib/roles/roles";
import { SUGGESTED_CLAIM_NAMES } from "@/lib/roles/claim-names";
import { createRoleAction, updateRoleAction } from "@/actions/roles";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

type RoleValues = Pick<RoleRow, "name" | "description" | "claimName" | "claimValue"> & { id?: string; version?: number };

const EMPTY: RoleValues = { name: "", description: null, claimName: "roles", claimValue: "" };

export function CreateRoleButton({ envKey }: { envKey: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <Plus className="h-4 w-4" aria-hidden /> Create role
      </Button>
      <RoleFormDialog envKey={envKey} open={open} onOpenChange={setOpen} role={null} />
    </>
  );
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
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  // After a stale save, the form shows the fresh values and saves against their version.
  const [fresh, setFresh] = useState<(RoleValues & { version: number }) | null>(null);
  const values = fresh ?? role ?? EMPTY;
  const version = fresh?.version ?? role?.version;

  function close(nextOpen: boolean) {
    onOpenChange(nextOpen);
    if (!nextOpen) {
      setError(undefined);
      setFieldErrors({});
      setFresh(null);
    }
  }

  function submit(form: FormData) {
    const fields = Object.fromEntries(form.entries());
    startTransition(async () => {
      const result = role
        ? await updateRoleAction({ ...fields, environment: envKey, roleId: role.id, version })
        : await createRoleAction({ ...fields, environment: envKey });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        if (result.current) setFresh(result.current as RoleValues & { version: number });
        router.refresh();
        return;
      }
      close(false);
      onSaved?.(role ? `Role ${result.data.name} saved.` : `Role ${result.data.name} created.`);
      router.refresh();
    });
  }

  const prefix = role ? `role-${role.id}` : "role-new";
  return (
    <Dialog
      open={open}
      onOpenChange={close}
      title={role ? `Edit role ${role.name}` : "Create a role"}
      description="A role maps from a claim your identity provider puts in tokens: a user whose token carries the value gets the role."
    >
      <form key={`${fresh?.version ?? "initial"}`} onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <Field id={`${prefix}-name`} label="Name" errors={fieldErrors.name}>
          <Input id={`${prefix}-name`} name="name" defaultValue={values.name} required autoFocus aria-invalid={Boolean(fieldErrors.name)} />
        </Field>
        <Field id={`${prefix}-description`} label="Description (optional)" errors={fieldErrors.description}>
          <Input id={`${prefix}-description`} name="description" defaultValue={values.description ?? ""} />
        </Field>
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
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => close(false)}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : role ? "Save role" : "Create role"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
