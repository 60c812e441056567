"use client";

import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ScopeRow } from "@/lib/scopes/scopes";
import { createScopeAction, updateScopeAction } from "@/actions/roles";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

type ScopeValues = { name: string; description: string | null; version: number };

export function CreateScopeButton({ envKey }: { envKey: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <Plus className="h-4 w-4" aria-hidden /> Create scope
      </Button>
      <ScopeFormDialog envKey={envKey} open={open} onOpenChange={setOpen} scope={null} />
    </>
  );
}

export function ScopeFormDialog({
  envKey,
  open,
  onOpenChange,
  scope,
  onSaved,
}: {
  envKey: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  scope: ScopeRow | null;
  onSaved?: (message: string) => void;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [fresh, setFresh] = useState<ScopeValues | null>(null);
  const values = fresh ?? scope ?? { name: "", description: null, version: 0 };

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
      const result = scope
        ? await updateScopeAction({ ...fields, environment: envKey, scopeId: scope.id, version: values.version })
        : await createScopeAction({ ...fields, environment: envKey });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        if (result.current) setFresh(result.current as ScopeValues);
        router.refresh();
        return;
      }
      close(false);
      const rewritten = "grantsRewritten" in result.data ? result.data.grantsRewritten : 0;
      onSaved?.(
        scope
          ? `Scope ${result.data.name} saved${rewritten ? `; ${rewritten} ${rewritten === 1 ? "grant now requires" : "grants now require"} the new name` : ""}.`
          : `Scope ${result.data.name} created.`,
      );
      router.refresh();
    });
  }

  const prefix = scope ? `scope-${scope.id}` : "scope-new";
  return (
    <Dialog
      open={open}
      onOpenChange={close}
      title={scope ? `Edit scope ${scope.name}` : "Create a scope"}
      description="An OAuth scope a token must carry for the grants that require it."
    >
      <form key={`${fresh?.version ?? "initial"}`} onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <Field
          id={`${prefix}-name`}
          label="Name"
          hint={
            scope && scope.grantCount > 0
              ? `Renaming also updates the ${scope.grantCount} ${scope.grantCount === 1 ? "grant" : "grants"} that require it.`
              : "Letters, digits and _ . : - / with no spaces, for example tools:sales.read."
          }
          errors={fieldErrors.name}
        >
          <Input id={`${prefix}-name`} name="name" defaultValue={values.name} required autoFocus aria-invalid={Boolean(fieldErrors.name)} className="font-mono" />
        </Field>
        <Field id={`${prefix}-description`} label="Description (optional)" errors={fieldErrors.description}>
          <Input id={`${prefix}-description`} name="description" defaultValue={values.description ?? ""} />
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => close(false)}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : scope ? "Save scope" : "Create scope"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
