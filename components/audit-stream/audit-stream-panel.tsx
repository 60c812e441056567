"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { auditStreamStatusAction, deleteAuditStreamAction, saveAuditStreamAction } from "@/actions/audit-stream";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { RelativeTime } from "@/components/ui/relative-time";
import { handleSubmit } from "@/components/ui/submit";
import type { AuditStreamStatus } from "@/lib/audit-stream/stream";

export type VisibleStreamStatus = Omit<AuditStreamStatus, "endpointFull">;

const POLL_MS = 3_000;

function lagText(status: VisibleStreamStatus): string {
  if (status.behind === 0) return "Up to date";
  const count = `${status.behind.toLocaleString("en-US")}${status.behindCapped ? "+" : ""} event${status.behind === 1 ? "" : "s"} behind`;
  return `${count}, the oldest stored ${lagAge(status.lagSeconds)} ago`;
}

/** "45 s", "32 min", "5 h", "3 days": how long the oldest unsent event has waited, in a unit a reader takes in at once. */
function lagAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** Streaming to the SIEM: where to, and how far behind the stream is (polled while the page is open). */
export function AuditStreamPanel({ environment, initial, endpoint, editable }: { environment: string; initial: VisibleStreamStatus | null; endpoint: string | null; editable: boolean }) {
  const router = useRouter();
  // The latest polled status, valid until the page renders a newer one.
  const [polled, setPolled] = useState<{ from: VisibleStreamStatus | null; value: VisibleStreamStatus | null } | null>(null);
  const status = polled && polled.from === initial ? polled.value : initial;
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [saved, setSaved] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const configured = status !== null;

  useEffect(() => {
    if (!configured) return;
    const timer = setInterval(async () => {
      const result = await auditStreamStatusAction({ environment });
      if (result.ok) setPolled({ from: initial, value: result.data });
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [configured, environment, initial]);

  function save(form: FormData) {
    startTransition(async () => {
      const headers = String(form.get("headers") ?? "");
      const result = await saveAuditStreamAction({
        environment,
        endpoint: String(form.get("endpoint") ?? ""),
        encoding: String(form.get("encoding") ?? "JSON"),
        enabled: form.get("enabled") === "on",
        startAt: String(form.get("startAt") ?? "beginning"),
        ...(headers.trim() || form.get("clearHeaders") === "on" ? { headers } : {}),
      });
      setSaved(result.ok);
      setError(result.ok ? undefined : result.error);
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      router.refresh();
    });
  }

  return (
    <div className="space-y-4">
      {status ? (
        <dl className="grid gap-2 text-sm sm:grid-cols-4" aria-label="Streaming status">
          <div>
            <dt className="text-muted-foreground">State</dt>
            <dd>
              <Badge tone={!status.enabled ? "neutral" : status.lastError ? "danger" : "success"}>{!status.enabled ? "paused" : status.lastError ? "retrying" : "streaming"}</Badge>
            </dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Lag</dt>
            <dd data-testid="audit-stream-lag">{lagText(status)}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Streamed</dt>
            <dd>{status.streamedCount.toLocaleString("en-US")} events</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Last accepted</dt>
            <dd>
              <RelativeTime iso={status.lastSuccessAt} />
            </dd>
          </div>
          {status.lastError ? (
            <div className="sm:col-span-4">
              <Alert tone="error">{status.lastError} Warden retries with backoff and resumes where delivery stopped; nothing is skipped.</Alert>
            </div>
          ) : null}
        </dl>
      ) : (
        <p className="text-sm text-muted-foreground">Not streaming. Send every stored audit event to an OpenTelemetry collector (OTLP/HTTP logs) to keep a copy in your SIEM.</p>
      )}
      {editable ? (
        <form onSubmit={handleSubmit(save)} className="grid gap-3 sm:grid-cols-2" noValidate>
          {error ? (
            <div className="sm:col-span-2">
              <Alert tone="error">{error}</Alert>
            </div>
          ) : null}
          {saved ? (
            <div className="sm:col-span-2">
              <Alert tone="success">Saved.</Alert>
            </div>
          ) : null}
          <Field id="stream-endpoint" label="OTLP/HTTP logs endpoint" hint="The full URL, usually ending in /v1/logs." errors={fieldErrors.endpoint}>
            <Input id="stream-endpoint" name="endpoint" type="url" defaultValue={endpoint ?? ""} placeholder="https://otel-collector.example.com:4318/v1/logs" required />
          </Field>
          <Field id="stream-encoding" label="Encoding" errors={fieldErrors.encoding}>
            <Select id="stream-encoding" name="encoding" defaultValue={status?.encoding ?? "JSON"}>
              <option value="JSON">JSON</option>
              <option value="PROTOBUF">Protobuf</option>
            </Select>
          </Field>
          <Field
            id="stream-headers"
            label="Request headers"
            hint={status?.hasHeaders ? "Stored encrypted and never shown. Leave empty to keep them." : "Optional, one 'Name: value' per line, e.g. the collector's API key. Stored encrypted."}
            errors={fieldErrors.headers}
          >
            <textarea id="stream-headers" name="headers" rows={2} className="w-full rounded-md border bg-background px-3 py-2 font-mono text-xs" autoComplete="off" />
          </Field>
          <div className="space-y-2 text-sm">
            <label className="flex items-center gap-2">
              <input type="checkbox" name="enabled" defaultChecked={status?.enabled ?? true} /> Streaming enabled
            </label>
            {status?.hasHeaders ? (
              <label className="flex items-center gap-2">
                <input type="checkbox" name="clearHeaders" /> Remove the stored headers
              </label>
            ) : null}
            {!status ? (
              <Field id="stream-start" label="Start with">
                <Select id="stream-start" name="startAt" defaultValue="beginning">
                  <option value="beginning">every stored event</option>
                  <option value="now">events from now on</option>
                </Select>
              </Field>
            ) : null}
          </div>
          <div className="flex gap-2 sm:col-span-2">
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : status ? "Save streaming" : "Start streaming"}
            </Button>
            {status ? (
              <Button variant="ghost" className="text-destructive" onClick={() => setConfirmDelete(true)}>
                Stop and forget
              </Button>
            ) : null}
          </div>
        </form>
      ) : null}
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title="Stop streaming and forget the position?"
        description="Events are no longer sent. Setting the stream up again starts over from the oldest stored event (or from then on). To pause and resume where it stopped, untick Streaming enabled instead."
        confirmLabel="Stop streaming"
        destructive
        pending={pending}
        onConfirm={() => {
          setConfirmDelete(false);
          startTransition(async () => {
            const result = await deleteAuditStreamAction({ environment });
            // An earlier save's "Saved." would otherwise stand beside this outcome.
            setSaved(false);
            setError(result.ok ? undefined : result.error);
            router.refresh();
          });
        }}
      />
    </div>
  );
}
