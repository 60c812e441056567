import type { Metadata } from "next";
import { AdminListQuerySchema, listAdmins } from "@/lib/admins/admins";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { readOidcSettings } from "@/lib/auth/settings";
import { getDb } from "@/lib/db/client";
import { PageHeader } from "@/components/ui/page-header";
import { AdminsTable } from "@/components/admins/admins-table";
import { InviteAdminButton } from "@/components/admins/invite-admin-dialog";

export const metadata: Metadata = { title: "Admins" };

export default async function AdminsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin("VIEWER");
  const query = AdminListQuerySchema.parse(await searchParams);
  const { rows, total } = await listAdmins(getDb(), query);
  const editable = canMutate(admin.role);
  const sso = readOidcSettings();
  return (
    <>
      <PageHeader
        title="Admins"
        description={
          sso
            ? `People who can sign in to this dashboard. Invited admins may sign in with ${sso.displayName} using the invited email, or set a password from their invitation link.`
            : "People who can sign in to this dashboard. Invited admins set a password from their invitation link."
        }
        actions={editable ? <InviteAdminButton canInviteOwner={admin.role === "OWNER"} /> : null}
      />
      <AdminsTable
        rows={rows}
        total={total}
        query={query}
        currentAdminId={admin.id}
        editable={editable}
        canManageOwners={admin.role === "OWNER"}
      />
    </>
  );
}
