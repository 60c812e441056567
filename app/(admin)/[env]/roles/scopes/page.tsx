import type { Metadata } from "next";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { ScopeListQuerySchema, listScopes } from "@/lib/scopes/scopes";
import { AccessTabs } from "@/components/roles/access-tabs";
import { CreateScopeButton } from "@/components/roles/scope-form-dialog";
import { ScopesTable } from "@/components/roles/scopes-table";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Scopes" };

export default async function ScopesPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = ScopeListQuerySchema.parse(await searchParams);
  const { rows, total } = await listScopes(getDb(), environment.id, query);
  const editable = canMutate(admin.role);
  return (
    <>
      <PageHeader
        title="Roles & Scopes"
        description={`${environment.name}: OAuth scopes a token must carry for the grants that require them.`}
        actions={editable ? <CreateScopeButton envKey={environment.key} /> : null}
      />
      <AccessTabs envKey={environment.key} />
      <ScopesTable envKey={environment.key} rows={rows} total={total} query={query} editable={editable} />
    </>
  );
}
