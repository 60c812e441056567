import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Plus } from "lucide-react";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getServer, protectedResourceMetadata, serverDeletionImpact } from "@/lib/servers/servers";
import { ToolListQuerySchema, listTools } from "@/lib/tools/tools";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { DeleteServerButton, ProtectedResourceMetadataPanel, ServerEditForm } from "@/components/servers/server-details";
import { ToolsTable } from "@/components/tools/tools-table";

export const metadata: Metadata = { title: "MCP server" };

export default async function ServerPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string; serverId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { serverId } = await params;
  const db = getDb();
  const server = await getServer(db, environment.id, serverId);
  if (!server) notFound();
  const query = ToolListQuerySchema.parse(await searchParams);
  const [{ rows, total }, impact] = await Promise.all([listTools(db, server.id, query), serverDeletionImpact(db, server.id)]);
  const editable = canMutate(admin.role);
  const basePath = `/${environment.key}/servers/${server.id}`;
  return (
    <>
      <PageHeader
        title={server.name}
        description={
          <>
            <Link href={`/${environment.key}/servers`} className="hover:underline">
              Servers & Tools
            </Link>{" "}
            · {environment.name} · <code>{server.resourceUri}</code>
          </>
        }
        actions={editable ? <DeleteServerButton server={server} environmentKey={environment.key} impact={impact} /> : null}
      />
      <div className="grid gap-8 lg:grid-cols-2">
        <section aria-labelledby="settings-heading" className="space-y-3">
          <h2 id="settings-heading" className="text-base font-semibold">
            Settings
          </h2>
          <ServerEditForm server={server} editable={editable} />
        </section>
        <ProtectedResourceMetadataPanel metadata={protectedResourceMetadata(server)} />
      </div>
      <section aria-labelledby="tools-heading" className="mt-10 space-y-3">
        <div className="flex items-center justify-between gap-2">
          <h2 id="tools-heading" className="text-base font-semibold">
            Tools
          </h2>
          {editable ? (
            <div className="flex gap-2">
              <Button asChild variant="secondary">
                <Link href={`${basePath}/import`}>Import from the live server</Link>
              </Button>
              <Button asChild>
                <Link href={`${basePath}/tools/new`}>
                  <Plus className="h-4 w-4" aria-hidden /> Add tool
                </Link>
              </Button>
            </div>
          ) : null}
        </div>
        <ToolsTable rows={rows} total={total} query={query} environmentId={environment.id} serverId={server.id} basePath={basePath} editable={editable} />
      </section>
    </>
  );
}
