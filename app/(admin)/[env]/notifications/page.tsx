import type { Metadata } from "next";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { listWebhooks } from "@/lib/notifications/webhooks";
import { PageHeader } from "@/components/ui/page-header";
import { WebhooksPanel } from "@/components/notifications/webhooks-panel";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage({ params }: { params: Promise<{ env: string }> }) {
  const admin = await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  const webhooks = await listWebhooks(getDb(), environment.id);
  return (
    <>
      <PageHeader
        title="Notifications"
        description={`Webhooks tell people and systems what needs a human in ${environment.name}: approval requests, new clients, tool drift, failed integrity checks. Each message is signed (Standard Webhooks) and retried with backoff for up to 24 hours, in order per destination.`}
      />
      <WebhooksPanel environment={environment.key} webhooks={webhooks} editable={canMutate(admin.role)} />
    </>
  );
}
