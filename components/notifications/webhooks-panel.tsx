"use client";

import { Plus } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { createWebhookAction } from "@/actions/notifications";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { StaticTable } from "@/components/data-table/static-table";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyableValue } from "@/components/ui/copyable-value";
import { Dialog } from "@/components/ui/dialog";
import { RelativeTime } from "@/components/ui/relative-time";
import { handleSubmit } from "@/components/ui/submit";
import type { WebhookRow } from "@/lib/notifications/webhooks";
import { WebhookFields, webhookValuesFrom } from "./webhook-fields";

export function WebhooksPanel({ environment, webhooks, editable }: { environment: string; webhooks: WebhookRow[]; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function create(form: FormData) {
    startTransition(async () => {
      const result = await createWebhookAction({ environment, ...webhookValuesFrom(form) });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      setCreated(result.data);
      router.refresh();
    });
  }

  const columns = useMemo<DataTableColumn<WebhookRow>[]>(
    () => [
      {
        id: "name",
        header: "Destination",
        enableSorting: false,
        enableHiding: false,
        cell: ({ row }) => (
          <div>
            <Link href={`/${environment}/notifications/${row.original.id}`} className="font-medium text-primary hover:underline">
              {row.original.name}
            </Link>
            <div className="text-xs text-muted-foreground">{row.original.url}</div>
          </div>
        ),
      },
      { id: "events", header: "Events", enableSorting: false, cell: ({ row }) => <span className="text-sm">{row.original.events.join(", ")}</span> },
      { id: "format", header: "Body", enableSorting: false, cell: ({ row }) => (row.original.format === "SLACK" ? "Slack" : "Standard Webhooks") },
      {
        id: "status",
        header: "Status",
        enableSorting: false,
        cell: ({ row }) => (
          <div className="flex flex-wrap gap-1">
            <Badge tone={row.original.enabled ? "success" : "neutral"}>{row.original.enabled ? "enabled" : "disabled"}</Badge>
            {row.original.pending ? <Badge tone="warning">{row.original.pending} queued</Badge> : null}
            {row.original.failed ? <Badge tone="danger">{row.original.failed} failed</Badge> : null}
          </div>
        ),
      },
      { id: "lastAttemptAt", header: "Last attempt", enableSorting: false, cell: ({ row }) => <RelativeTime iso={row.original.lastAttemptAt} /> },
    ],
    [environment],
  );

  return (
    <div className="space-y-4">
      {editable ? (
        <Button
          onClick={() => {
            setOpen(true);
            setCreated(null);
            setError(undefined);
            setFieldErrors({});
          }}
        >
          <Plus className="h-4 w-4" aria-hidden /> Add webhook
        </Button>
      ) : null}
      <StaticTable
        label="Webhooks"
        data={webhooks}
        columns={columns}
        order={{ sort: "createdAt", dir: "asc" }}
        getRowId={(row) => row.id}
        emptyState={<p className="text-sm text-muted-foreground">No webhooks yet. Add one to tell a person or a system when an approval is needed, a client waits for review, or a tool drifts.</p>}
      />
      <Dialog open={open} onOpenChange={setOpen} title="Add a webhook" description="Warden sends the chosen events here, signed, and retries for up to 24 hours.">
        {created ? (
          <div className="space-y-4">
            <Alert tone="warning" title="Copy the signing secret now">
              Receivers verify each message with it (Standard Webhooks). It is shown this once; rotate it on the webhook&apos;s page if it is lost.
              <CopyableValue value={created.secret} label="Signing secret" />
            </Alert>
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setOpen(false)}>
                Done
              </Button>
              <Button onClick={() => router.push(`/${environment}/notifications/${created.id}`)}>Open delivery log</Button>
            </div>
          </div>
        ) : (
          <form onSubmit={handleSubmit(create)} className="space-y-4" noValidate>
            {error ? <Alert tone="error">{error}</Alert> : null}
            <WebhookFields errors={fieldErrors} />
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={pending}>
                {pending ? "Adding…" : "Add webhook"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
    </div>
  );
}
