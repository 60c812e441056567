import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { FleetQuerySchema, listFleet } from "@/lib/fleet/fleet";
import { PageHeader } from "@/components/ui/page-header";
import { FleetTable } from "@/components/fleet/fleet-table";

export const metadata: Metadata = { title: "Fleet" };

export default async function FleetPage({ params, searchParams }: { params: Promise<{ env: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = FleetQuerySchema.parse(await searchParams);
  const fleet = await listFleet(getDb(), environment.id, query);
  const stale = fleet.rows.filter((row) => row.stale).length;
  const drifting = fleet.rows.filter((row) => row.drift).length;
  return (
    <>
      <PageHeader
        title="Fleet"
        description={
          <>
            MCP server instances polling {environment.name}
            {fleet.liveVersion ? `; live version v${fleet.liveVersion}` : "; nothing published yet"}.
            {stale || drifting ? ` On this page: ${stale} stale, ${drifting} not on the live version.` : ""}{" "}
            <Link href={`/${environment.key}/config`} className="text-primary hover:underline">
              Back to config
            </Link>
          </>
        }
      />
      <FleetTable rows={fleet.rows} total={fleet.total} page={query.page} size={query.size} sort={query.sort} dir={query.dir} />
    </>
  );
}
