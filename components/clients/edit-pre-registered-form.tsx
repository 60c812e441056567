"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updatePreRegisteredClientAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { detailsValues, logoValue, PreRegisteredDetailsFields, type PreRegisteredDefaults } from "./pre-registered-fields";

/** Edits how a pre-registered client is described; its review and limits stay as they are. */
export function EditPreRegisteredForm({
  environment,
  client,
}: {
  environment: string;
  client: PreRegisteredDefaults & { id: string; version: number; hasLogo: boolean };
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function save(form: FormData) {
    setFeedback(null);
    setFieldErrors({});
    startTransition(async () => {
      const logo = await logoValue(form);
      if (logo.error) {
        setFieldErrors({ logo: [logo.error] });
        return;
      }
      const removeLogo = form.get("removeLogo") === "on";
      const result = await updatePreRegisteredClientAction({
        environment,
        id: client.id,
        version: client.version,
        ...detailsValues(form),
        ...(logo.logo ? { logo: logo.logo } : removeLogo ? { logo: null } : {}),
      });
      if (!result.ok) {
        setFieldErrors(result.fieldErrors ?? {});
        setFeedback({ tone: "error", message: result.error });
        return;
      }
      setFeedback({ tone: "success", message: "Details saved." });
      router.refresh();
    });
  }

  return (
    <details className="rounded-lg border bg-surface p-5">
      <summary className="cursor-pointer font-medium">Edit details</summary>
      <form
        className="mt-4 space-y-4"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          save(new FormData(event.currentTarget));
        }}
      >
        <PreRegisteredDetailsFields defaults={client} fieldErrors={fieldErrors} logoHint="Choose a file to replace the logo. PNG, JPEG, GIF or WebP, at most 64 KB." />
        {client.hasLogo ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="removeLogo" className="h-4 w-4" /> Remove the current logo
          </label>
        ) : null}
        {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save details"}
        </Button>
      </form>
    </details>
  );
}
