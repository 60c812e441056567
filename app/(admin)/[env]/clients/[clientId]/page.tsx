import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getClient } from "@/lib/clients/clients";
import { storedPreview } from "@/lib/clients/preview";
import { applyTrustPolicy, evaluateTrustPolicy, getTrustPolicy } from "@/lib/clients/trust-policy";
import { getDb } from "@/lib/db/client";
import { NotFoundError } from "@/lib/errors";
import { environmentFromParams } from "@/lib/environments/current";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { ClientPreviewCard } from "@/components/clients/client-preview-card";
import { KindBadge, STATUS_TONE } from "@/components/clients/client-badges";
import { EditPreRegisteredForm } from "@/components/clients/edit-pre-registered-form";
import { PreRegisteredDetailsCard } from "@/components/clients/pre-registered-details-card";
import { ReviewClientForm } from "@/components/clients/review-client-form";
import { DeleteClientButton } from "@/components/clients/delete-client-button";

export const metadata: Metadata = { title: "Client" };

export default async function ClientPage({ params }: { params: Promise<{ env: string; clientId: string }> }) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const id = z.uuid().safeParse((await params).clientId);
  if (!id.success) notFound();
  const client = await getClient(getDb(), environment.id, id.data).catch((error: unknown) => {
    if (error instanceof NotFoundError) notFound();
    throw error;
  });
  const preRegistered = client.kind === "PRE_REGISTERED";
  const stored = storedPreview(client);
  // A trust policy judges fetched documents by domain; a pre-registered client has neither.
  const preview = preRegistered ? stored : applyTrustPolicy(stored, evaluateTrustPolicy(await getTrustPolicy(getDb(), environment.id), stored));
  const label = preRegistered ? `${client.displayName ?? client.clientId} (${client.clientId})` : preview.name ? `${preview.name} (${preview.hostname})` : preview.hostname;
  return (
    <>
      <PageHeader
        title={preRegistered ? (client.displayName ?? client.clientId) : (preview.name ?? preview.hostname)}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <KindBadge kind={client.kind} />
            <Badge tone={STATUS_TONE[client.status]}>{client.status}</Badge>
            {client.reviewedAt ? (
              <span>
                Reviewed <RelativeTime iso={client.reviewedAt.toISOString()} /> by {client.reviewedBy?.email ?? "a removed admin"}
                {client.reviewNote ? `: “${client.reviewNote}”` : ""}
              </span>
            ) : (
              <span>Not reviewed yet{client.reportedBy ? `; reported by ${client.reportedBy}` : ""}</span>
            )}
            <Link href={`/${environment.key}/clients`} className="text-primary hover:underline">
              All clients
            </Link>
          </span>
        }
      />
      <div className="grid gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        {preRegistered ? <PreRegisteredDetailsCard client={client} /> : <ClientPreviewCard preview={preview} />}
        {canMutate(admin.role) ? (
          <div className="space-y-6">
          <ReviewClientForm
            environment={environment.key}
            client={{
              id: client.id,
              status: client.status,
              version: client.version,
              scopeCeiling: client.scopeCeiling,
              restrictTools: client.restrictTools,
              allowedTools: client.allowedTools,
              reviewNote: client.reviewNote,
              // What an admin described needs no fetch to be approvable.
              approvable: preRegistered || (preview.fetched && preview.errors.length === 0),
              refreshable: !preRegistered,
            }}
          />
          {preRegistered ? (
            <EditPreRegisteredForm
              environment={environment.key}
              client={{
                id: client.id,
                version: client.version,
                displayName: client.displayName,
                owner: client.owner,
                description: client.description,
                redirectUris: client.redirectUris,
                hasLogo: client.logoId !== null,
              }}
            />
          ) : null}
          <DeleteClientButton environment={environment.key} client={{ id: client.id, version: client.version, label }} />
          </div>
        ) : (
          <div className="rounded-lg border bg-surface p-5 text-sm">
            <h2 className="font-medium">Limits</h2>
            <p className="mt-2 text-muted-foreground">Scope ceiling: {client.scopeCeiling.length ? client.scopeCeiling.join(" ") : "none"}</p>
            <p className="text-muted-foreground">Tools: {client.restrictTools ? client.allowedTools.join(", ") || "none" : "as granted"}</p>
          </div>
        )}
      </div>
    </>
  );
}
