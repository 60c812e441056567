"use client";

import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import type { ActionResult } from "@/lib/actions/run-admin-action";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

export type NamedValues = { name: string; description: string | null };
export type FieldErrors = Record<string, string[]>;

/** The Create button of a page, opening its create dialog. */
export function CreateNamedButton({ label, dialog }: { label: string; dialog: (props: { open: boolean; onOpenChange: (open: boolean) => void }) => ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <Plus className="h-4 w-4" aria-hidden /> {label}
      </Button>
      {dialog({ open, onOpenChange: setOpen })}
    </>
  );
}

/**
 * Creates or edits something known by a name and an optional description
 * (a role, a scope), with any further fields it has. A stale edit shows the
 * values someone else saved and keeps the dialog open, saving against their
 * version.
 */
export function NameDescriptionFormDialog<TValues extends NamedValues, TData extends { name: string }>({
  noun,
  open,
  onOpenChange,
  current,
  empty,
  description,
  nameHint,
  nameClassName,
  extraFields,
  save,
  savedMessage,
  onSaved,
}: {
  /** "role" or "scope": names the dialog, its buttons and its field ids. */
  noun: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** What is edited; null to create. */
  current: (TValues & { id: string; version: number }) | null;
  /** The values a new one starts with. */
  empty: TValues;
  description: string;
  nameHint?: string;
  nameClassName?: string;
  extraFields?: (form: { values: TValues; fieldErrors: FieldErrors; prefix: string }) => ReactNode;
  /** Creates (version undefined when creating) or updates with the form's fields. */
  save: (fields: Record<string, FormDataEntryValue>, version: number | undefined) => Promise<ActionResult<TData>>;
  savedMessage: (data: TData) => string;
  onSaved?: (message: string) => void;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  // After a stale save, the form shows the fresh values and saves against their version.
  const [fresh, setFresh] = useState<(TValues & { version: number }) | null>(null);
  const values = fresh ?? current ?? empty;
  const version = fresh?.version ?? current?.version;

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
      const result = await save(fields, version);
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        if (result.current) setFresh(result.current as TValues & { version: number });
        router.refresh();
        return;
      }
      close(false);
      onSaved?.(savedMessage(result.data));
      router.refresh();
    });
  }

  const prefix = current ? `${noun}-${current.id}` : `${noun}-new`;
  return (
    <Dialog open={open} onOpenChange={close} title={current ? `Edit ${noun} ${current.name}` : `Create a ${noun}`} description={description}>
      <form key={`${fresh?.version ?? "initial"}`} onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <Field id={`${prefix}-name`} label="Name" hint={nameHint} errors={fieldErrors.name}>
          <Input id={`${prefix}-name`} name="name" defaultValue={values.name} required autoFocus aria-invalid={Boolean(fieldErrors.name)} className={nameClassName} />
        </Field>
        <Field id={`${prefix}-description`} label="Description (optional)" errors={fieldErrors.description}>
          <Input id={`${prefix}-description`} name="description" defaultValue={values.description ?? ""} />
        </Field>
        {extraFields?.({ values, fieldErrors, prefix })}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => close(false)}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : current ? `Save ${noun}` : `Create ${noun}`}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
