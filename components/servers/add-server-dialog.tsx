"use client";

import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createServerAction } from "@/actions/servers";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { handleSubmit } from "@/components/ui/submit";
import { ServerFields, groupFieldErrors } from "./server-form";

export function AddServerButton({ environmentId, environmentKey, environmentName }: { environmentId: string; environmentKey: string; environmentName: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function reset(nextOpen: boolean) {
    setOpen(nextOpen);
    if (!nextOpen) {
      setError(undefined);
      setFieldErrors({});
    }
  }

  function submit(form: FormData) {
    startTransition(async () => {
      const result = await createServerAction({ ...Object.fromEntries(form.entries()), environmentId });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(groupFieldErrors(result.fieldErrors));
        return;
      }
      reset(false);
      router.push(`/${environmentKey}/servers/${result.data.id}`);
    });
  }

  return (
    <>
      <Button onClick={() => reset(true)}>
        <Plus className="h-4 w-4" aria-hidden /> Add server
      </Button>
      <Dialog open={open} onOpenChange={reset} title="Add an MCP server" description={`In the ${environmentName} environment.`}>
        <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
          {error ? <Alert tone="error">{error}</Alert> : null}
          <ServerFields idPrefix="new-server" fieldErrors={fieldErrors} autoFocus />
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => reset(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Adding…" : "Add server"}
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
