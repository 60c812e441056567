import type { Metadata } from "next";
import Link from "next/link";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { draftStatus, listConfigVersions, VersionListQuerySchema } from "@/lib/config/publish";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { ConfigDiffView } from "@/components/config/config-diff";
import { PublishForm } from "@/components/config/publish-form";
import { VersionsTable } from "@/components/config/versions-table";
import { HeldBackTools } from "@/components/config/held-back-tools";
import { ImpactPreview } from "@/components/impact/impact-preview";

export const metadata: Metadata = { title: "Config" };

export default async function ConfigPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = VersionListQuerySchema.parse(await searchParams);
  const [status, versions] = await Promise.all([draftStatus(getDb(), environment.id), listConfigVersions(getDb(), environment.id, query)]);
  return (
    <>
      <PageHeader
        title="Config"
        description={`What ${environment.name}'s MCP servers enforce: signed, numbered versions of the configuration. Changes elsewhere in the dashboard are a draft until published here.`}
        actions={
          <div className="flex gap-4">
            <Link href={`/${environment.key}/config/fleet`} className="text-sm font-medium text-primary hover:underline">
              Fleet
            </Link>
            <Link href={`/${environment.key}/config/policy`} className="text-sm font-medium text-primary hover:underline">
              Policy as code
            </Link>
            <Link href={`/${environment.key}/config/keys`} className="text-sm font-medium text-primary hover:underline">
              API keys for MCP servers
            </Link>
          </div>
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="rounded-lg border bg-surface p-5" aria-labelledby="live-heading">
          <h2 id="live-heading" className="font-medium">
            Live
          </h2>
          {status.live ? (
            <dl className="mt-3 grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
              <dt className="text-muted-foreground">Version</dt>
              <dd className="font-semibold">v{status.live.version}</dd>
              <dt className="text-muted-foreground">Published</dt>
              <dd>
                <RelativeTime iso={status.live.publishedAt.toISOString()} />
              </dd>
              <dt className="text-muted-foreground">Content hash</dt>
              <dd className="font-mono text-xs break-all">{status.live.contentHash}</dd>
            </dl>
          ) : (
            <p className="mt-3 text-sm text-muted-foreground">Nothing is published in {environment.name} yet: MCP servers polling it deny every call.</p>
          )}
        </section>
        <section className="rounded-lg border bg-surface p-5" aria-labelledby="draft-heading">
          <h2 id="draft-heading" className="font-medium">
            {status.unpublished ? "Unpublished changes" : "The draft matches what is live"}
          </h2>
          <div className="mt-3 space-y-4">
            {status.unpublished ? <ConfigDiffView diff={status.diff} label="Changes since the live version" /> : null}
            {status.unpublished ? <ImpactPreview key={status.draftHash} environment={environment.key} /> : null}
            {status.heldBack.length ? <HeldBackTools environment={environment.key} tools={status.heldBack} /> : null}
            {canMutate(admin.role) ? (
              <PublishForm
                environment={environment.key}
                environmentName={environment.name}
                nextVersion={(status.live?.version ?? 0) + 1}
                unpublished={status.unpublished}
              />
            ) : null}
          </div>
        </section>
      </div>
      <h2 className="mt-8 mb-3 font-medium">History</h2>
      <VersionsTable
        environment={environment.key}
        rows={versions.rows}
        total={versions.total}
        page={query.page}
        size={query.size}
        dir={query.dir}
        liveVersion={status.live?.version ?? null}
        editable={canMutate(admin.role)}
      />
    </>
  );
}
