import type { Metadata } from "next";
import Link from "next/link";
import { auditInsights, INSIGHT_WINDOWS, InsightWindowSchema, type Ranked } from "@/lib/audit/insights";
import { hasRole } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { getEnvironmentOverview } from "@/lib/environments/overview";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { Badge } from "@/components/ui/badge";
import { DecisionsChart } from "@/components/overview/decisions-chart";
import { countOf } from "@/lib/format/count";
import { recentMismatches } from "@/lib/impact/reported-check";

export const metadata: Metadata = { title: "Overview" };

function RankedList({ title, rows, empty, hrefFor }: { title: string; rows: Ranked[]; empty: string; hrefFor?: (label: string) => string }) {
  return (
    <section aria-label={title} className="rounded-lg border bg-surface p-5">
      <h2 className="font-medium">{title}</h2>
      {rows.length === 0 ? (
        <p className="mt-2 text-sm text-muted-foreground">{empty}</p>
      ) : (
        <ol className="mt-3 space-y-2 text-sm">
          {rows.map((row) => (
            <li key={row.label} className="flex items-baseline justify-between gap-3">
              {hrefFor ? (
                <Link href={hrefFor(row.label)} className="min-w-0 truncate hover:underline" title={row.label}>
                  {row.label}
                </Link>
              ) : (
                <span className="min-w-0 truncate" title={row.label}>
                  {row.label}
                </span>
              )}
              <span className="shrink-0 tabular-nums text-muted-foreground">
                {row.calls.toLocaleString("en")} call{row.calls === 1 ? "" : "s"}{row.denied ? <span className="text-destructive"> · {row.denied.toLocaleString("en")} denied</span> : null}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export default async function OverviewPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const window = InsightWindowSchema.parse((await searchParams).window);
  // Who called what, and the flags that name people, are part of the audit trail: AUDITOR and above.
  const canReadAudit = hasRole(admin.role, "AUDITOR");
  const [overview, insights, mismatches] = await Promise.all([
    getEnvironmentOverview(getDb(), environment.id),
    auditInsights(getDb(), environment, window),
    canReadAudit ? recentMismatches(getDb(), environment.id, { hours: INSIGHT_WINDOWS[window].hours }, 5) : null,
  ]);
  const auditBase = `/${environment.key}/audit?source=mcp&range=${window}`;
  const stats = [
    { label: "MCP servers", value: overview.servers, href: `/${environment.key}/servers` },
    { label: "Tools", value: overview.tools, href: `/${environment.key}/servers` },
    { label: "Roles", value: overview.roles, href: `/${environment.key}/roles` },
    { label: "Clients pending review", value: overview.pendingClients, href: `/${environment.key}/clients` },
    { label: "Approved clients", value: overview.approvedClients, href: `/${environment.key}/clients` },
    { label: "Live config version", value: overview.liveVersion ?? "none", href: `/${environment.key}/config` },
    {
      label: `MCP server instances${insights.fleet.instances ? ` (${insights.fleet.instances})` : ""}`,
      value: insights.fleet.instances ? `${insights.fleet.stale} stale · ${insights.fleet.drifting} behind` : "none yet",
      href: `/${environment.key}/config/fleet`,
    },
  ];
  return (
    <>
      <PageHeader title="Overview" description={`${environment.name} environment: what agents may do here, and what changed lately.`} />
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-7">
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
      <section aria-labelledby="traffic-heading" className="mt-6 rounded-lg border bg-surface p-5">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="traffic-heading" className="font-medium">
            Tool calls: {insights.totals.allow.toLocaleString("en")} allowed, {insights.totals.deny.toLocaleString("en")} denied
            {insights.totals.error ? `, ${countOf(insights.totals.error, "error")}` : ""}
          </h2>
          <nav aria-label="Time window" className="flex gap-1 text-sm">
            {(Object.keys(INSIGHT_WINDOWS) as (keyof typeof INSIGHT_WINDOWS)[]).map((option) => (
              <Link
                key={option}
                href={`/${environment.key}?window=${option}`}
                aria-current={option === window ? "page" : undefined}
                className="rounded-md px-2 py-1 hover:bg-muted aria-[current=page]:bg-primary/15 aria-[current=page]:text-primary"
              >
                {option === "24h" ? "24 hours" : option === "7d" ? "7 days" : "30 days"}
              </Link>
            ))}
          </nav>
        </div>
        {insights.series.length === 0 ? (
          <p className="mt-3 text-sm text-muted-foreground">
            No tool calls reported in this window. MCP servers report every decision once they run the SDK with an API key from{" "}
            <Link href={`/${environment.key}/config/keys`} className="text-primary hover:underline">
              Config → API keys
            </Link>
            .
          </p>
        ) : (
          <div className="mt-3">
            <DecisionsChart series={insights.series} hourly={INSIGHT_WINDOWS[window].bucket === "hour"} />
          </div>
        )}
      </section>
      {canReadAudit ? (
        <section aria-labelledby="flags-heading" className="mt-6 rounded-lg border bg-surface p-5">
          <h2 id="flags-heading" className="font-medium">
            Worth a look
          </h2>
          {insights.flags.length === 0 ? (
            <p className="mt-2 text-sm text-muted-foreground">Nothing unusual in this window: no calls outside business hours, no sudden volume from one client, no large exports.</p>
          ) : (
            <ul className="mt-3 space-y-2 text-sm">
              {insights.flags.map((flag, index) => (
                <li key={index} className="flex items-start gap-2">
                  <Badge tone="warning">{flag.kind === "after_hours" ? "after hours" : flag.kind === "volume_spike" ? "volume" : "export"}</Badge>
                  <span>
                    <Link href={flag.href} className="font-medium hover:underline">
                      {flag.title}
                    </Link>
                    <span className="block text-muted-foreground">{flag.detail}</span>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      {mismatches ? (
        <section aria-labelledby="mismatch-heading" className={`mt-6 rounded-lg border bg-surface ${mismatches.total ? "border-destructive/50" : ""}`}>
          <h2 id="mismatch-heading" className="border-b px-5 py-3 font-medium">
            {mismatches.total
              ? `${countOf(mismatches.total, "reported decision")} their config version would not have made`
              : "Reported decisions match their config"}
          </h2>
          {mismatches.total === 0 ? (
            <p className="px-5 py-4 text-sm text-muted-foreground">
              Every decision MCP servers reported in this window and checked so far is the one its config version makes. Warden re-decides reported decisions in the background, within a minute of their arrival.
            </p>
          ) : (
            <ul className="divide-y">
              {mismatches.rows.map((row) => (
                <li key={row.eventId} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-5 py-2.5 text-sm">
                  <Badge tone="danger">reported {row.reportedDecision}</Badge>
                  <Link href={`/${environment.key}/audit?event=${row.eventId}`} className="font-medium hover:underline">
                    {row.server ? `${row.server}/` : ""}
                    {row.tool ?? "a call"}
                  </Link>
                  <span className="text-muted-foreground">
                    by {row.actor}
                    {row.clientId ? ` via ${row.clientId}` : ""}: v{row.configVersion} would {row.expectedDecision} ({row.expectedReason})
                  </span>
                  <span className="ml-auto text-xs text-muted-foreground">
                    <RelativeTime iso={row.ts} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <RankedList title="Top tools" rows={insights.topTools} empty="No tool calls in this window." />
        <RankedList
          title="Top clients"
          rows={insights.topClients}
          empty="No agent clients called in this window."
          hrefFor={canReadAudit ? (label) => `${auditBase}&client=${encodeURIComponent(label)}` : undefined}
        />
      </div>
      {canReadAudit ? (
        <section aria-labelledby="denials-heading" className="mt-6 rounded-lg border bg-surface">
          <h2 id="denials-heading" className="border-b px-5 py-3 font-medium">
            Recent denials
          </h2>
          {insights.recentDenials.length === 0 ? (
            <p className="px-5 py-4 text-sm text-muted-foreground">No denied calls in this window.</p>
          ) : (
            <ul className="divide-y">
              {insights.recentDenials.map((denial) => (
                <li key={denial.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-5 py-2.5 text-sm">
                  <Link href={`${auditBase}&decision=deny&event=${denial.id}`} className="font-medium hover:underline">
                    {denial.tool ?? "a call"}
                  </Link>
                  <span className="text-muted-foreground">
                    by {denial.actor}
                    {denial.clientId ? ` via ${denial.clientId}` : ""}: {denial.reason ?? "denied"}
                  </span>
                  <span className="ml-auto text-xs text-muted-foreground">
                    <RelativeTime iso={denial.ts} />
                  </span>
                </li>
              ))}
            </ul>
          )}
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
