import type { Metadata } from "next";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { ServerListQuerySchema, listServers } from "@/lib/servers/servers";
import { PageHeader } from "@/components/ui/page-header";
import { AddServerButton } from "@/components/servers/add-server-dialog";
import { ServersTable } from "@/components/servers/servers-table";

export const metadata: Metadata = { title: "Servers & Tools" };

export default async function ServersPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = ServerListQuerySchema.parse(await searchParams);
  const { rows, total } = await listServers(getDb(), environment.id, query);
  return (
    <>
      <PageHeader
        title="Servers & Tools"
        description={`MCP servers in the ${environment.name} environment, with the resource identifier tokens are issued for and the tools each one exposes.`}
        actions={
          canMutate(admin.role) ? (
            <AddServerButton environmentId={environment.id} environmentKey={environment.key} environmentName={environment.name} />
          ) : null
        }
      />
      <ServersTable rows={rows} total={total} query={query} environmentKey={environment.key} environmentName={environment.name} />
    </>
  );
}
