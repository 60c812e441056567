import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { auditEventLinks } from "@/lib/audit/links";
import { AuditPageQuerySchema, getAuditEvent, liveStartPosition, listAuditEvents } from "@/lib/audit/query";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { Alert } from "@/components/ui/alert";
import { AuditEventDetail } from "@/components/audit/event-detail";
import { mismatchOf } from "@/lib/impact/reported-check";
import { AuditFilters } from "@/components/audit/audit-filters";
import { AuditTable } from "@/components/audit/audit-table";
import { ExportButtons } from "@/components/audit/export-button";
import { RetentionForm } from "@/components/audit/retention-form";
import { VerifyChain } from "@/components/audit/verify-chain";
import { AuditStreamPanel } from "@/components/audit-stream/audit-stream-panel";
import { auditStreamStatus, withoutEndpoint } from "@/lib/audit-stream/stream";
import { canMutate } from "@/lib/auth/admin-roles";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("AUDITOR");
  const environment = await environmentFromParams(params);
  const raw = await searchParams;
  const query = AuditPageQuerySchema.parse(raw);
  const db = getDb();
  const [page, livePosition, selected, retention] = await Promise.all([
    listAuditEvents(db, environment.id, query),
    liveStartPosition(db, environment.id, query.scope),
    query.event ? getAuditEvent(db, environment.id, query.event) : null,
    db.environment.findUniqueOrThrow({ where: { id: environment.id }, select: { auditRetentionDays: true } }),
  ]);
  const stream = await auditStreamStatus(db, environment.id);
  const [links, mismatch] = selected ? await Promise.all([auditEventLinks(db, environment, selected), mismatchOf(db, environment.id, selected.id)]) : [null, null];
  const rest = new URLSearchParams(Object.entries(raw).flatMap(([key, value]) => (key === "event" || typeof value !== "string" ? [] : [[key, value]])));
  const closeHref = `/${environment.key}/audit${rest.size ? `?${rest.toString()}` : ""}`;
  const filtersKey = new URLSearchParams(rest);
  for (const key of ["before", "after", "size"]) filtersKey.delete(key);

  return (
    <>
      <PageHeader
        title="Audit"
        description={`${environment.name} environment: every tool call decision its MCP servers reported and every change made in the dashboard, in one tamper-evident trail.`}
        actions={<ExportButtons environment={environment.key} />}
      />
      <div className="space-y-4">
        <AuditFilters key={filtersKey.toString()} />
        <p className="text-sm">
          <Link className="underline" href={`/${environment.key}/audit?action=token.exchange`}>
            Show token exchanges
          </Link>{" "}
          <span className="text-muted-foreground">(tokens issued to MCP servers for downstream APIs, and refusals)</span>
        </p>
        <VerifyChain environment={environment.key} />
        {page.searchedBackTo && page.older ? (
          <Alert title="The text search paused to keep this page fast.">
            {page.rows.length ? "These are its matches so far; " : "No matches so far; "}
            it has searched the range down to {page.searchedBackTo.replace("T", " ").slice(0, 19)} UTC.{" "}
            <Link className="font-medium underline" href={`/${environment.key}/audit?${continueSearch(rest, page.older)}`}>
              Search older events
            </Link>
          </Alert>
        ) : null}
        <div className={selected || query.event ? "grid gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]" : undefined}>
          <AuditTable key={filtersKey.toString() + (query.before ?? "") + (query.after ?? "")} environment={environment.key} rows={page.rows} newer={page.newer} older={page.older} size={query.size} livePosition={livePosition} />
          {selected && links ? (
            <AuditEventDetail event={selected} links={links} closeHref={closeHref} mismatch={mismatch} />
          ) : query.event ? (
            <Alert tone="error" title="That event is not in this trail.">
              It belongs to another environment or no longer exists (retention may have removed it).
            </Alert>
          ) : null}
        </div>
        <section aria-labelledby="retention-heading" className="rounded-lg border bg-surface p-5">
          <h2 id="retention-heading" className="mb-2 font-medium">
            Retention
          </h2>
          <RetentionForm environment={environment.key} environmentName={environment.name} days={retention.auditRetentionDays} editable={admin.role === "OWNER"} />
        </section>
        <section aria-labelledby="stream-heading" className="rounded-lg border bg-surface p-5">
          <h2 id="stream-heading" className="mb-2 font-medium">
            SIEM streaming
          </h2>
          <AuditStreamPanel
            environment={environment.key}
            initial={stream ? withoutEndpoint(stream) : null}
            endpoint={stream && canMutate(admin.role) ? stream.endpointFull : null}
            editable={canMutate(admin.role)}
          />
        </section>
      </div>
    </>
  );
}

function continueSearch(params: URLSearchParams, older: string): string {
  const next = new URLSearchParams(params);
  next.delete("after");
  next.set("before", older);
  return next.toString();
}
