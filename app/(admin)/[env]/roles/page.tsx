import type { Metadata } from "next";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { RoleListQuerySchema, listRoles } from "@/lib/roles/roles";
import { AccessTabs } from "@/components/roles/access-tabs";
import { CreateRoleButton } from "@/components/roles/role-form-dialog";
import { RolesTable } from "@/components/roles/roles-table";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Roles" };

export default async function RolesPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = RoleListQuerySchema.parse(await searchParams);
  const { rows, total } = await listRoles(getDb(), environment.id, query);
  const editable = canMutate(admin.role);
  return (
    <>
      <PageHeader
        title="Roles & Scopes"
        description={`${environment.name}: roles map from your identity provider's claims; grants decide which tools each role may call, and with which scopes.`}
        actions={editable ? <CreateRoleButton envKey={environment.key} /> : null}
      />
      <AccessTabs envKey={environment.key} />
      <RolesTable envKey={environment.key} rows={rows} total={total} query={query} editable={editable} />
    </>
  );
}
