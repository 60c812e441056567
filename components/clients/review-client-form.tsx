"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { MetadataChange } from "@/lib/clients/preview";
import { refreshClientAction, reviewClientAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { DecisionFields, decisionValues } from "./decision-fields";

type Decision = "approve" | "reject" | "suspend" | "pending";
type Feedback = { tone: "success" | "error"; message: string; changes?: MetadataChange[] };

export function ReviewClientForm({
  environment,
  client,
}: {
  environment: string;
  client: { id: string; status: string; version: number; scopeCeiling: string[]; restrictTools: boolean; allowedTools: string[]; reviewNote: string | null; approvable: boolean; refreshable?: boolean };
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [confirm, setConfirm] = useState<{ decision: Decision; form: FormData } | null>(null);

  function review(decision: Decision, form: FormData) {
    startTransition(async () => {
      const result = await reviewClientAction({ environment, id: client.id, version: client.version, decision, ...decisionValues(form) });
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      setFeedback(result.ok ? { tone: "success", message: `The client is now ${result.data.status}.` } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  function refresh() {
    startTransition(async () => {
      const result = await refreshClientAction({ environment, id: client.id });
      if (!result.ok) {
        setFeedback({ tone: "error", message: result.error });
        return;
      }
      const { changes, backToReview } = result.data;
      setFeedback({
        tone: "success",
        message: changes.length === 0 ? "The metadata is unchanged." : backToReview ? "The metadata changed in a way that needs review: the client is back to PENDING and its access is paused." : "The metadata changed; nothing that needs review.",
        changes,
      });
      router.refresh();
    });
  }

  return (
    <div className="space-y-4">
      {feedback ? (
        <Alert tone={feedback.tone}>
          {feedback.message}
          {feedback.changes?.length ? <ChangesTable changes={feedback.changes} /> : null}
        </Alert>
      ) : null}
      <form
        className="space-y-4 rounded-lg border bg-surface p-5"
        onSubmit={(event) => {
          event.preventDefault();
          const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
          const decision = (submitter?.value as Decision) ?? "pending";
          const form = new FormData(event.currentTarget);
          if (decision === "reject" || decision === "suspend") setConfirm({ decision, form });
          else review(decision, form);
        }}
      >
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="font-medium">Review</h2>
          {client.refreshable !== false ? (
            <Button variant="secondary" size="sm" disabled={pending} onClick={refresh}>
              {pending ? "Working…" : "Refresh metadata"}
            </Button>
          ) : null}
        </div>
        <DecisionFields
          fieldErrors={fieldErrors}
          defaults={{ scopeCeiling: client.scopeCeiling, restrictTools: client.restrictTools, allowedTools: client.allowedTools, note: client.reviewNote }}
        />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" value="approve" disabled={pending || !client.approvable}>
            {client.status === "APPROVED" ? "Save approval" : "Approve"}
          </Button>
          {client.status !== "REJECTED" ? (
            <Button type="submit" value="reject" variant="destructive" disabled={pending}>
              Reject
            </Button>
          ) : null}
          {client.status === "APPROVED" ? (
            <Button type="submit" value="suspend" variant="secondary" disabled={pending}>
              Suspend
            </Button>
          ) : null}
          {client.status !== "PENDING" ? (
            <Button type="submit" value="pending" variant="ghost" disabled={pending}>
              Send back to review
            </Button>
          ) : null}
        </div>
      </form>
      <ConfirmDialog
        open={confirm !== null}
        onOpenChange={(open) => !open && setConfirm(null)}
        title={confirm?.decision === "reject" ? "Reject this client?" : "Suspend this client?"}
        description="Its agents lose access at the next published configuration. You can approve it again later."
        confirmLabel={confirm?.decision === "reject" ? "Reject client" : "Suspend client"}
        pending={pending}
        onConfirm={() => {
          const next = confirm;
          setConfirm(null);
          if (next) review(next.decision, next.form);
        }}
      />
    </div>
  );
}

function ChangesTable({ changes }: { changes: MetadataChange[] }) {
  return (
    <table className="mt-3 w-full text-xs" aria-label="Metadata changes">
      <thead className="text-left text-muted-foreground">
        <tr>
          <th className="py-1 pr-3 font-medium">Field</th>
          <th className="py-1 pr-3 font-medium">Before</th>
          <th className="py-1 font-medium">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.field} className="align-top">
            <td className="py-1 pr-3 font-mono">
              {change.field} {change.needsReview ? <Badge tone="warning">needs review</Badge> : null}
            </td>
            <td className="py-1 pr-3 font-mono break-all">{JSON.stringify(change.before)}</td>
            <td className="py-1 font-mono break-all">{JSON.stringify(change.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
