"use client";

import { Send } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { publishConfigAction } from "@/actions/config";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
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
  // Set when the draft would refuse recent calls: publishing waits for the admin to confirm it.
  const [confirm, setConfirm] = useState<{ sentence: string; note: string | undefined } | null>(null);

  function run(note: string | undefined, confirmLosses: boolean) {
    startTransition(async () => {
      const result = await publishConfigAction({ environment, note, confirmLosses });
      if (!result.ok) {
        setConfirm(null);
        setFeedback({ tone: "error", message: result.error });
        return;
      }
      if (!result.data.published) {
        setFeedback(null);
        setConfirm({ sentence: result.data.confirm.sentence, note });
        return;
      }
      setConfirm(null);
      setFeedback({ tone: "success", message: `Version ${result.data.version} is live in ${environmentName}.` });
      router.refresh();
    });
  }

  function publish(form: FormData) {
    run(String(form.get("note") ?? "") || undefined, false);
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
        <Send className="h-4 w-4" aria-hidden /> {pending && !confirm ? "Checking recent traffic and publishing…" : `Publish version ${nextVersion} to ${environmentName}`}
      </Button>
      <Dialog
        open={confirm !== null}
        onOpenChange={(open) => {
          if (!open) setConfirm(null);
        }}
        title={`Publish version ${nextVersion} anyway?`}
        description="Replaying recent traffic against this draft shows that some calls allowed today would be refused."
      >
        <div className="space-y-4">
          <Alert tone="warning" title={confirm ? `${confirm.sentence}.` : undefined}>
            The count is recorded with the published version. The preview above lists who loses access and to which tools.
          </Alert>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setConfirm(null)}>
              Cancel
            </Button>
            <Button variant="destructive" disabled={pending} onClick={() => confirm && run(confirm.note, true)}>
              {pending ? "Publishing…" : "Publish and refuse these calls"}
            </Button>
          </div>
        </div>
      </Dialog>
    </form>
  );
}
