import type { Metadata } from "next";
import { z } from "zod";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getGrantMatrix } from "@/lib/grants/grants";
import { listAllScopes } from "@/lib/scopes/scopes";
import { GrantMatrixView } from "@/components/grants/grant-matrix";
import { AccessTabs } from "@/components/roles/access-tabs";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Grants matrix" };

const MatrixQuerySchema = z.object({ q: z.string().trim().max(200).catch("") });

export default async function GrantMatrixPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { q } = MatrixQuerySchema.parse(await searchParams);
  const db = getDb();
  const [matrix, scopes] = await Promise.all([getGrantMatrix(db, environment.id), listAllScopes(db, environment.id)]);
  const needle = q.toLowerCase();
  // The filter narrows the rows shown, never the roles: a filtered matrix is still every role's view of those tools.
  const filtered = needle
    ? {
        ...matrix,
        servers: matrix.servers
          .map((server) =>
            server.name.toLowerCase().includes(needle) ? server : { ...server, tools: server.tools.filter((tool) => tool.name.toLowerCase().includes(needle)) },
          )
          .filter((server) => server.tools.length > 0),
      }
    : matrix;
  const hasTools = matrix.servers.some((server) => server.tools.length > 0);
  return (
    <>
      <PageHeader
        title="Roles & Scopes"
        description={`${environment.name}: which role may call which tool, and the scopes the token must carry. Changes apply to agents once the next configuration is published.`}
      />
      <AccessTabs envKey={environment.key} />
      {hasTools && matrix.roles.length > 0 ? (
        <form method="get" className="mb-3 flex max-w-md gap-2" role="search">
          <Input type="search" name="q" defaultValue={q} aria-label="Filter tools or servers" placeholder="Filter tools or servers" />
          <Button type="submit" variant="secondary">
            Filter
          </Button>
        </form>
      ) : null}
      {needle && filtered.servers.length === 0 && hasTools ? (
        <p className="rounded-lg border border-dashed p-6 text-sm text-muted-foreground">No tool or server matches “{q}”. Clear the filter to see every tool.</p>
      ) : (
        <GrantMatrixView
          key={q}
          envKey={environment.key}
          matrix={filtered}
          scopes={scopes.map((scope) => ({ name: scope.name, description: scope.description }))}
          editable={canMutate(admin.role)}
        />
      )}
    </>
  );
}
