import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getServer } from "@/lib/servers/servers";
import { PageHeader } from "@/components/ui/page-header";
import { ToolImport } from "@/components/mcp-import/tool-import";

export const metadata: Metadata = { title: "Import tools" };

export default async function ImportToolsPage({ params }: { params: Promise<{ env: string; serverId: string }> }) {
  await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  const server = await getServer(getDb(), environment.id, (await params).serverId);
  if (!server) notFound();
  const serverPath = `/${environment.key}/servers/${server.id}`;
  return (
    <>
      <PageHeader
        title={`Import tools into ${server.name}`}
        description={
          <>
            Warden connects to the live MCP server with the official SDK, lists its tools and shows what would change. New tools are
            approved as you import them; a changed definition is recorded as changed since approval.{" "}
            <Link href={serverPath} className="text-primary hover:underline">
              Back to {server.name}
            </Link>
          </>
        }
      />
      <ToolImport environmentId={environment.id} serverId={server.id} serverPath={serverPath} defaultUrl={server.resourceUri} />
    </>
  );
}
