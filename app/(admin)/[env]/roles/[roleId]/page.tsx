import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { GrantListQuerySchema, listGrantsForRole } from "@/lib/grants/grants";
import { findRole } from "@/lib/roles/roles";
import { listAllScopes } from "@/lib/scopes/scopes";
import { GrantRowsTable } from "@/components/grants/grant-rows-table";
import { RoleActions } from "@/components/roles/role-actions";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Role" };

export default async function RolePage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string; roleId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { roleId } = await params;
  if (!z.uuid().safeParse(roleId).success) notFound();
  const db = getDb();
  const role = await findRole(db, environment.id, roleId);
  if (!role) notFound();
  const query = GrantListQuerySchema.parse(await searchParams);
  const [{ rows, total }, scopes] = await Promise.all([listGrantsForRole(db, environment.id, role.id, query), listAllScopes(db, environment.id)]);
  const editable = canMutate(admin.role);
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted-foreground">
        <Link href={`/${environment.key}/roles`} className="underline-offset-4 hover:underline">
          Roles
        </Link>{" "}
        / {role.name}
      </nav>
      <PageHeader
        title={`Role ${role.name}`}
        actions={editable ? <RoleActions envKey={environment.key} role={role} /> : null}
        description={
          <>
            {role.description ? `${role.description}. ` : null}
            Users whose token carries <code className="rounded bg-muted px-1">{role.claimName}</code> ={" "}
            <code className="rounded bg-muted px-1">{role.claimValue}</code> get this role in {environment.name}.
          </>
        }
      />
      <section aria-labelledby="role-can-do" className="space-y-3">
        <div>
          <h2 id="role-can-do" className="font-medium">
            What can this role do?
          </h2>
          <p className="text-sm text-muted-foreground">
            The tools {role.name} may call, and the scopes the token must carry for each.{" "}
            <Link href={`/${environment.key}/roles/matrix`} className="font-medium text-primary underline-offset-4 hover:underline">
              Change grants in the matrix
            </Link>
            .
          </p>
        </div>
        <GrantRowsTable
          envKey={environment.key}
          subject="tool"
          rows={rows.map((row) => ({
            id: row.id,
            roleId: role.id,
            roleName: role.name,
            roleClaim: `${role.claimName} = ${role.claimValue}`,
            toolId: row.tool.id,
            toolName: row.tool.name,
            serverName: row.tool.serverName,
            risk: row.tool,
            requiredScopes: row.requiredScopes,
            version: row.version,
            updatedAt: row.updatedAt,
          }))}
          total={total}
          query={query}
          scopes={scopes}
          editable={editable}
          emptyState={
            <p className="text-sm text-muted-foreground">
              {query.q ? "No granted tool matches this search." : `${role.name} may not call any tool yet. Grant it tools in the matrix.`}
            </p>
          }
        />
      </section>
    </>
  );
}
