"use client";

import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";
import { setAuditRetentionAction } from "@/actions/audit";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";

/** How long this environment keeps its trail. Owners change it; shortening it asks first. */
export function RetentionForm({ environment, environmentName, days, editable }: { environment: string; environmentName: string; days: number | null; editable: boolean }) {
  const ids = useId();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [keepAll, setKeepAll] = useState(days === null);
  const [value, setValue] = useState(String(days ?? 365));
  const [confirming, setConfirming] = useState(false);
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const wanted = keepAll ? null : Number(value);
  const current = days === null ? "Events are kept forever (retention is off)." : `Events older than ${days} days are deleted every hour.`;

  function save() {
    startTransition(async () => {
      const result = await setAuditRetentionAction({ environment, days: wanted, expectedDays: days });
      if (result.ok) {
        setError(null);
        setFeedback({ tone: "success", message: result.data.days === null ? "Retention is off: events are kept forever." : `Saved: events older than ${result.data.days} days will be deleted.` });
        router.refresh();
      } else {
        setError(result.fieldErrors?.days?.[0] ?? null);
        setFeedback({ tone: "error", message: result.error });
      }
    });
  }

  if (!editable) return <p className="text-sm text-muted-foreground">{current} Only owners can change this.</p>;
  // Turning retention on, or shortening it, deletes events: ask first.
  const deletesMore = wanted !== null && (days === null || wanted < days);
  return (
    <form
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        if (deletesMore) setConfirming(true);
        else save();
      }}
    >
      <p className="text-sm text-muted-foreground">{current}</p>
      {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" className="h-4 w-4" checked={keepAll} onChange={(event) => setKeepAll(event.target.checked)} />
          Keep every event
        </label>
        <div className="flex flex-col gap-1 text-sm">
          <label htmlFor={`${ids}-days`}>Delete events older than (days)</label>
          <Input
            id={`${ids}-days`}
            type="number"
            min={1}
            max={3650}
            value={value}
            disabled={keepAll}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${ids}-error` : undefined}
            onChange={(event) => setValue(event.target.value)}
            className="w-32"
          />
        </div>
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save retention"}
        </Button>
      </div>
      {error ? (
        <p id={`${ids}-error`} className="text-sm text-destructive">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete ${environmentName}'s events older than ${wanted} days?`}
        description="The next hourly run deletes them for good; exports you made keep their copy. The deletion is recorded in the trail, and verification still passes for what remains."
        confirmLabel="Save and delete old events"
        pending={pending}
        onConfirm={() => {
          setConfirming(false);
          save();
        }}
      />
    </form>
  );
}
