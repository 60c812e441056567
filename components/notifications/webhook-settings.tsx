"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteWebhookAction, rotateWebhookSecretAction, sendTestEventAction, updateWebhookAction } from "@/actions/notifications";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CopyableValue } from "@/components/ui/copyable-value";
import { ConfirmDialog, Dialog } from "@/components/ui/dialog";
import { handleSubmit } from "@/components/ui/submit";
import { WebhookFields, webhookValuesFrom, type WebhookFormValues } from "./webhook-fields";

type Webhook = WebhookFormValues & { id: string; enabled: boolean };

/** The destination's controls: test, enable or disable, edit, rotate the secret, delete. */
export function WebhookSettings({ environment, webhook }: { environment: string; webhook: Webhook }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [editing, setEditing] = useState(false);
  const [editError, setEditError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [confirm, setConfirm] = useState<"delete" | "rotate" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  function run(action: () => Promise<{ ok: true } | { ok: false; error: string }>, success: string) {
    startTransition(async () => {
      const result = await action();
      setFeedback(result.ok ? { tone: "success", message: success } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  return (
    <div className="space-y-3">
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      <div className="flex flex-wrap gap-2">
        <Button disabled={pending} onClick={() => run(() => sendTestEventAction({ environment, id: webhook.id }), "A test event is queued; it appears in the log below.")}>
          Send a test event
        </Button>
        <Button
          variant="secondary"
          disabled={pending}
          onClick={() =>
            run(
              () => updateWebhookAction({ environment, id: webhook.id, enabled: !webhook.enabled }),
              webhook.enabled ? "Disabled: new events are not queued for it." : "Enabled: queued messages are sent again.",
            )
          }
        >
          {webhook.enabled ? "Disable" : "Enable"}
        </Button>
        <Button
          variant="secondary"
          onClick={() => {
            setEditing(true);
            setEditError(undefined);
            setFieldErrors({});
          }}
        >
          Edit
        </Button>
        <Button variant="secondary" onClick={() => setConfirm("rotate")}>
          Rotate secret
        </Button>
        <Button variant="ghost" className="text-destructive" onClick={() => setConfirm("delete")}>
          Delete
        </Button>
      </div>
      {secret ? (
        <Alert tone="warning" title="Copy the new signing secret now">
          The old secret no longer verifies. This one is shown once.
          <CopyableValue value={secret} label="Signing secret" />
        </Alert>
      ) : null}
      <Dialog open={editing} onOpenChange={setEditing} title={`Edit ${webhook.name}`}>
        <form
          noValidate
          className="space-y-4"
          onSubmit={handleSubmit((form) =>
            startTransition(async () => {
              const result = await updateWebhookAction({ environment, id: webhook.id, ...webhookValuesFrom(form) });
              if (!result.ok) {
                setEditError(result.error);
                setFieldErrors(result.fieldErrors ?? {});
                return;
              }
              setEditing(false);
              setFeedback({ tone: "success", message: "Saved." });
              router.refresh();
            }),
          )}
        >
          {editError ? <Alert tone="error">{editError}</Alert> : null}
          <WebhookFields initial={webhook} errors={fieldErrors} />
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setEditing(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : "Save"}
            </Button>
          </div>
        </form>
      </Dialog>
      <ConfirmDialog
        open={confirm === "rotate"}
        onOpenChange={(value) => !value && setConfirm(null)}
        title="Rotate the signing secret?"
        description="Messages are signed with a new secret from now on; receivers that still hold the old one reject them until they are updated."
        confirmLabel="Rotate secret"
        pending={pending}
        onConfirm={() => {
          setConfirm(null);
          startTransition(async () => {
            const result = await rotateWebhookSecretAction({ environment, id: webhook.id });
            if (result.ok) setSecret(result.data.secret);
            else setFeedback({ tone: "error", message: result.error });
          });
        }}
      />
      <ConfirmDialog
        open={confirm === "delete"}
        onOpenChange={(value) => !value && setConfirm(null)}
        title={`Delete ${webhook.name}?`}
        description="Messages still queued for it are dropped, and its delivery log is deleted. This cannot be undone."
        confirmLabel="Delete webhook"
        destructive
        pending={pending}
        onConfirm={() => {
          setConfirm(null);
          startTransition(async () => {
            const result = await deleteWebhookAction({ environment, id: webhook.id });
            if (result.ok) router.push(`/${environment}/notifications`);
            else setFeedback({ tone: "error", message: result.error });
          });
        }}
      />
    </div>
  );
}
