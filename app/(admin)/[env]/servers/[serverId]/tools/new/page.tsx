import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getServer } from "@/lib/servers/servers";
import { PageHeader } from "@/components/ui/page-header";
import { ToolForm } from "@/components/tools/tool-form";

export const metadata: Metadata = { title: "Add tool" };

export default async function NewToolPage({ params }: { params: Promise<{ env: string; serverId: string }> }) {
  await requireAdmin("ADMIN");
  const environment = await environmentFromParams(params);
  const { serverId } = await params;
  const server = await getServer(getDb(), environment.id, serverId);
  if (!server) notFound();
  const serverPath = `/${environment.key}/servers/${server.id}`;
  return (
    <>
      <PageHeader
        title="Add a tool"
        description={
          <>
            to{" "}
            <Link href={serverPath} className="hover:underline">
              {server.name}
            </Link>
          </>
        }
      />
      <ToolForm refs={{ environmentId: environment.id, serverId: server.id, serverPath }} tool={null} editable />
    </>
  );
}
