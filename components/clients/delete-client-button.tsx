"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteClientAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { handleSubmit } from "@/components/ui/submit";

import { TEXTAREA } from "@/components/servers/server-form";

/**
 * Deleting asks first and asks why: the reason goes to the audit trail, and
 * the deletion is refused if someone changed the client since the page loaded.
 */
export function DeleteClientButton({ environment, client }: { environment: string; client: { id: string; version: number; label: string } }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function remove(form: FormData) {
    setError(undefined);
    startTransition(async () => {
      const result = await deleteClientAction({ environment, id: client.id, version: client.version, reason: String(form.get("reason") ?? "") });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        if (result.current) router.refresh();
        return;
      }
      setOpen(false);
      router.push(`/${environment}/clients?deleted=${encodeURIComponent(result.data.clientId)}`);
      router.refresh();
    });
  }

  return (
    <section aria-label="Delete client" className="space-y-2 rounded-lg border border-destructive/30 bg-surface p-5">
      <h2 className="font-medium">Delete</h2>
      <p className="text-sm text-muted-foreground">Removes the client from this environment. It leaves the configuration at the next publish; if an MCP server reports it again, it comes back as pending.</p>
      <Button variant="destructive" size="sm" onClick={() => setOpen(true)}>
        Delete client
      </Button>
      <Dialog
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) {
            setError(undefined);
            setFieldErrors({});
          }
        }}
        title="Delete this client?"
        description={`${client.label} will be removed from this environment. This cannot be undone.`}
      >
        <form onSubmit={handleSubmit(remove)} className="space-y-4" noValidate>
          {error ? <Alert tone="error">{error}</Alert> : null}
          <Field id="delete-reason" label="Reason (recorded in the audit trail)" errors={fieldErrors.reason}>
            <textarea id="delete-reason" name="reason" rows={2} required className={TEXTAREA} />
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="destructive" disabled={pending}>
              {pending ? "Deleting…" : "Delete client"}
            </Button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}
