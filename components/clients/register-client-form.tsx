"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ClientPreview } from "@/lib/clients/preview";
import { previewClientAction, registerClientAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";
import { ClientPreviewCard } from "./client-preview-card";
import { DecisionFields, decisionValues } from "./decision-fields";

type Decision = "approve" | "reject" | "pending";

export function RegisterClientForm({ environment }: { environment: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [preview, setPreview] = useState<ClientPreview | null>(null);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function fetchPreview(form: FormData) {
    setError(undefined);
    setFieldErrors({});
    startTransition(async () => {
      const result = await previewClientAction({ environment, clientId: form.get("clientId") });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        setPreview(null);
        return;
      }
      setPreview(result.data);
    });
  }

  function decide(decision: Decision, form: FormData) {
    if (!preview) return;
    setError(undefined);
    startTransition(async () => {
      const result = await registerClientAction({
        environment,
        clientId: preview.clientId,
        previewedHash: preview.metadataHash,
        decision,
        ...decisionValues(form),
      });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      router.push(`/${environment}/clients/${result.data.id}`);
    });
  }

  const approvable = preview?.fetched && preview.errors.length === 0;
  return (
    <div className="space-y-6">
      <form onSubmit={handleSubmit(fetchPreview)} className="flex flex-wrap items-end gap-3 rounded-lg border bg-surface p-5" noValidate>
        <div className="min-w-72 flex-1">
          <Field id="clientId" label="Client ID (the metadata document URL)" hint="The https URL the agent uses as its client_id." errors={fieldErrors.clientId}>
            <Input id="clientId" name="clientId" type="url" required autoFocus placeholder="e.g. https://vscode.dev/oauth/client-metadata.json" className="font-mono" />
          </Field>
        </div>
        <Button type="submit" disabled={pending}>
          {pending && !preview ? "Fetching…" : "Fetch and preview"}
        </Button>
      </form>

      {error ? <Alert tone="error">{error}</Alert> : null}

      {preview ? (
        <>
          <ClientPreviewCard preview={preview} />
          <form
            className="space-y-4 rounded-lg border bg-surface p-5"
            onSubmit={(event) => {
              event.preventDefault();
              const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
              decide((submitter?.value as Decision) ?? "pending", new FormData(event.currentTarget));
            }}
          >
            <h2 className="font-medium">Decide</h2>
            <DecisionFields fieldErrors={fieldErrors} />
            <div className="flex flex-wrap gap-2">
              <Button type="submit" value="approve" disabled={pending || !approvable} title={approvable ? undefined : "Only a document that passes every rule can be approved"}>
                Approve
              </Button>
              <Button type="submit" value="reject" variant="destructive" disabled={pending}>
                Reject
              </Button>
              <Button type="submit" value="pending" variant="secondary" disabled={pending}>
                Keep pending for later
              </Button>
            </div>
          </form>
        </>
      ) : null}
    </div>
  );
}
