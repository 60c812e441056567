import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getEnvironmentOverview } from "@/lib/environments/overview";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({ params }: { params: Promise<{ env: string }> }) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const overview = await getEnvironmentOverview(getDb(), environment.id);
  const stats = [
    { label: "MCP servers", value: overview.servers, href: `/${environment.key}/servers` },
    { label: "Tools", value: overview.tools, href: `/${environment.key}/servers` },
    { label: "Roles", value: overview.roles, href: `/${environment.key}/roles` },
    { label: "Clients pending review", value: overview.pendingClients, href: `/${environment.key}/clients` },
    { label: "Approved clients", value: overview.approvedClients, href: `/${environment.key}/clients` },
    { label: "Live config version", value: overview.liveVersion ?? "none", href: `/${environment.key}/config` },
  ];
  return (
    <>
      <PageHeader title="Overview" description={`${environment.name} environment: what agents may do here, and what changed lately.`} />
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        {stats.map((stat) => (
          <Link key={stat.label} href={stat.href} className="rounded-lg border bg-surface p-4 hover:border-primary/50">
            <dt className="text-xs text-muted-foreground">{stat.label}</dt>
            <dd className="mt-1 text-2xl font-semibold tabular-nums">{stat.value}</dd>
          </Link>
        ))}
      </dl>
      {overview.servers === 0 ? (
        <section className="mt-6 rounded-lg border bg-surface p-5">
          <h2 className="font-medium">Nothing is configured in {environment.name} yet</h2>
          <p className="mt-1 text-sm text-muted-foreground">
            Start by defining the MCP servers agents reach and the tools they expose; then decide which roles and scopes may call them.
          </p>
        </section>
      ) : null}
      <section className="mt-6 rounded-lg border bg-surface" aria-labelledby="recent-activity">
        <h2 id="recent-activity" className="border-b px-5 py-3 font-medium">
          Recent admin activity
        </h2>
        {overview.recentActivity.length === 0 ? (
          <p className="px-5 py-4 text-sm text-muted-foreground">No admin activity recorded yet.</p>
        ) : (
          <ul className="divide-y">
            {overview.recentActivity.map((event) => (
              <li key={event.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-5 py-2.5 text-sm">
                <code className="rounded bg-muted px-1.5 py-0.5 text-xs">{event.action}</code>
                <span className="text-muted-foreground">by {event.actor}</span>
                <span className="ml-auto text-xs text-muted-foreground">
                  <RelativeTime iso={event.ts} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
