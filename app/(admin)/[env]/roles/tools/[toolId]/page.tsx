import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { GrantListQuerySchema, findTool, listGrantsForTool } from "@/lib/grants/grants";
import { listAllScopes } from "@/lib/scopes/scopes";
import { RiskMarkers } from "@/components/grants/risk-markers";
import { ToolAccessPanel } from "@/components/grants/tool-access-panel";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Who can call this tool?" };

export default async function ToolAccessPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string; toolId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { toolId } = await params;
  if (!z.uuid().safeParse(toolId).success) notFound();
  const tool = await findTool(getDb(), environment.id, toolId);
  if (!tool) notFound();
  const query = GrantListQuerySchema.parse(await searchParams);
  const [grants, scopes] = await Promise.all([listGrantsForTool(getDb(), environment.id, tool.id, query), listAllScopes(getDb(), environment.id)]);
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted-foreground">
        <Link href={`/${environment.key}/roles/matrix`} className="underline-offset-4 hover:underline">
          Grants matrix
        </Link>{" "}
        / {tool.serverName} / {tool.name}
      </nav>
      <PageHeader
        title={`Tool ${tool.name}`}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            On {tool.serverName} in {environment.name}, risk {tool.riskTier.toLowerCase()}
            {tool.enabled ? "" : ", disabled"}. <RiskMarkers risk={tool} />
          </span>
        }
      />
      <ToolAccessPanel admin={admin} environment={environment} tool={tool} query={query} grants={grants} scopes={scopes} />
    </>
  );
}
