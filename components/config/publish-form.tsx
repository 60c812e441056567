"use client";

import { Send } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { publishConfigAction } from "@/actions/config";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

// Stays mounted after a publish empties the draft, so the outcome stays on
// screen when the refreshed page no longer offers the form.
export function PublishForm({
  environment,
  environmentName,
  nextVersion,
  unpublished,
}: {
  environment: string;
  environmentName: string;
  nextVersion: number;
  unpublished: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);

  function publish(form: FormData) {
    startTransition(async () => {
      const result = await publishConfigAction({ environment, note: String(form.get("note") ?? "") || undefined });
      setFeedback(result.ok ? { tone: "success", message: `Version ${result.data.version} is live in ${environmentName}.` } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  const outcome = feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null;
  if (!unpublished) return outcome;
  return (
    <form onSubmit={handleSubmit(publish)} className="space-y-3">
      {outcome}
      <Field id="publish-note" label="What changed, in a sentence (recorded with the version)">
        <Input id="publish-note" name="note" maxLength={1000} placeholder="e.g. Grant refund_payment to finance-admins" />
      </Field>
      <Button type="submit" disabled={pending}>
        <Send className="h-4 w-4" aria-hidden /> {pending ? "Publishing…" : `Publish version ${nextVersion} to ${environmentName}`}
      </Button>
    </form>
  );
}
