import type { Metadata } from "next";
import Link from "next/link";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { listEnvironments } from "@/lib/environments/environments";
import { PageHeader } from "@/components/ui/page-header";
import { PolicyImportPanel, PromotionPanel } from "@/components/policy-io/policy-import-panel";

export const metadata: Metadata = { title: "Policy as code" };

export default async function PolicyPage({ params }: { params: Promise<{ env: string }> }) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const others = (await listEnvironments(getDb())).filter((candidate) => candidate.key !== environment.key);
  return (
    <>
      <PageHeader
        title="Policy as code"
        description={
          <>
            {environment.name}&apos;s MCP servers, tools, scopes, roles and grants as one file: review it, keep it in version control, import it back.{" "}
            <Link href={`/${environment.key}/config`} className="text-primary hover:underline">
              Back to config
            </Link>
          </>
        }
      />
      <section aria-labelledby="export-heading" className="mb-6 rounded-lg border bg-surface p-5">
        <h2 id="export-heading" className="font-medium">
          Export
        </h2>
        <p className="mt-1 text-sm text-muted-foreground">The draft as it is now (not only what is published). Client approvals and API keys are not part of a policy file.</p>
        <div className="mt-3 flex gap-4 text-sm font-medium">
          {/* Plain anchors: downloads from a route handler, not pages. */}
          <a href={`/api/policy/${environment.key}?format=yaml`} className="text-primary hover:underline">
            Download YAML
          </a>
          <a href={`/api/policy/${environment.key}?format=json`} className="text-primary hover:underline">
            Download JSON
          </a>
        </div>
      </section>
      {canMutate(admin.role) ? (
        <div className="space-y-6">
          <PolicyImportPanel environment={environment.key} environmentName={environment.name} />
          {others.length ? <PromotionPanel environment={environment.key} environmentName={environment.name} sources={others} /> : null}
        </div>
      ) : (
        <p className="text-sm text-muted-foreground">Importing and promoting need the ADMIN role; ask an owner if you need it.</p>
      )}
    </>
  );
}
