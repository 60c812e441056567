import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { DeliveryListSchema, getWebhook, listDeliveries, redactUrl } from "@/lib/notifications/webhooks";
import { PageHeader } from "@/components/ui/page-header";
import { cn } from "@/components/ui/cn";
import { DeliveryLog } from "@/components/notifications/delivery-log";
import { WebhookSettings } from "@/components/notifications/webhook-settings";

export const metadata: Metadata = { title: "Webhook" };

const FILTERS = [
  ["all", "All"],
  ["PENDING", "Queued"],
  ["DELIVERED", "Delivered"],
  ["FAILED", "Failed"],
] as const;

export default async function WebhookPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string; webhookId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  const { webhookId } = await params;
  const webhook = await getWebhook(getDb(), environment.id, webhookId);
  if (!webhook) notFound();
  const query = DeliveryListSchema.parse(await searchParams);
  const { rows, older } = await listDeliveries(getDb(), webhook.id, query);
  const base = `/${environment.key}/notifications/${webhook.id}`;
  return (
    <>
      <PageHeader
        title={webhook.name}
        description={
          <>
            {webhook.enabled ? "Sends" : "Disabled; would send"} {webhook.events.join(", ")} to <code>{redactUrl(webhook.url)}</code> as{" "}
            {webhook.format === "SLACK" ? "a Slack message" : "Standard Webhooks JSON"}.{" "}
            <Link href={`/${environment.key}/notifications`} className="text-primary hover:underline">
              All webhooks
            </Link>
          </>
        }
      />
      <div className="space-y-6">
        {canMutate(admin.role) ? <WebhookSettings environment={environment.key} webhook={webhook} /> : null}
        <section className="space-y-3">
          <h2 className="text-lg font-semibold">Delivery log</h2>
          <nav aria-label="Filter by status" className="flex flex-wrap gap-2 text-sm">
            {FILTERS.map(([value, label]) => (
              <Link
                key={value}
                href={value === "all" ? base : `${base}?status=${value}`}
                aria-current={query.status === value ? "page" : undefined}
                className={cn("rounded-md border px-3 py-1", query.status === value ? "border-primary bg-primary/10 font-medium" : "text-muted-foreground hover:bg-muted")}
              >
                {label}
              </Link>
            ))}
          </nav>
          <DeliveryLog environment={environment.key} webhookId={webhook.id} rows={rows} live={!query.before && rows.some((row) => row.status === "PENDING")} editable={canMutate(admin.role)} />
          {older || query.before ? (
            <nav aria-label="More deliveries" className="flex gap-3 text-sm">
              {query.before ? (
                <Link href={`${base}?status=${query.status}`} className="text-primary hover:underline">
                  Newest
                </Link>
              ) : null}
              {older ? (
                <Link href={`${base}?status=${query.status}&before=${older}`} className="text-primary hover:underline">
                  Older deliveries
                </Link>
              ) : null}
            </nav>
          ) : null}
        </section>
      </div>
    </>
  );
}
