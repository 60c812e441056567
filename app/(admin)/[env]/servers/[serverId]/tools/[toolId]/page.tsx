import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getServer } from "@/lib/servers/servers";
import { getTool, toolGrantCount } from "@/lib/tools/tools";
import { PageHeader } from "@/components/ui/page-header";
import { RiskBadge } from "@/components/tools/tool-badges";
import { ToolForm } from "@/components/tools/tool-form";

export const metadata: Metadata = { title: "Tool" };

export default async function ToolPage({ params }: { params: Promise<{ env: string; serverId: string; toolId: string }> }) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { serverId, toolId } = await params;
  const db = getDb();
  const server = await getServer(db, environment.id, serverId);
  const tool = server ? await getTool(db, environment.id, server.id, toolId) : null;
  if (!server || !tool) notFound();
  const serverPath = `/${environment.key}/servers/${server.id}`;
  return (
    <>
      <PageHeader
        title={tool.title ? `${tool.title}` : tool.name}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <Link href={serverPath} className="hover:underline">
              {server.name}
            </Link>
            · <code>{tool.name}</code> · <RiskBadge tier={tool.riskTier} /> ·{" "}
            <Link href={`/${environment.key}/roles/tools/${tool.id}`} className="text-primary hover:underline">
              Who can call this?
            </Link>
          </span>
        }
      />
      <ToolForm
        refs={{ environmentId: environment.id, serverId: server.id, serverPath }}
        tool={tool}
        editable={canMutate(admin.role)}
        grants={await toolGrantCount(db, tool.id)}
      />
    </>
  );
}
