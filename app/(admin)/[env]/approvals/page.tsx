import type { Metadata } from "next";
import Link from "next/link";
import { ApprovalListSchema, canApprove, getApprovalSettings, listApprovals } from "@/lib/approvals/approval-requests";
import { hasRole } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { ApprovalQueue } from "@/components/approvals/approval-queue";
import { ApprovalSettingsForm } from "@/components/approvals/approval-settings-form";
import { cn } from "@/components/ui/cn";

export const metadata: Metadata = { title: "Approvals" };

const FILTERS = [
  ["PENDING", "Waiting"],
  ["APPROVED", "Approved"],
  ["CONSUMED", "Used"],
  ["DENIED", "Denied"],
  ["EXPIRED", "Expired"],
  ["all", "All"],
] as const;

export default async function ApprovalsPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const query = ApprovalListSchema.parse(await searchParams);
  const { status } = query;
  const [{ rows, pending, older }, settings] = await Promise.all([listApprovals(getDb(), environment.id, query), getApprovalSettings(getDb(), environment.id)]);
  const mayDecide = canApprove(admin.role, settings.approverRole);
  return (
    <>
      <PageHeader
        title="Approvals"
        description={`Risky tool calls in ${environment.name} wait here for a human. Each approval allows one call with exactly the arguments shown; a request nobody decides expires and is denied.`}
      />
      <div className="space-y-6">
        <nav aria-label="Filter by status" className="flex flex-wrap gap-2 text-sm">
          {FILTERS.map(([value, label]) => (
            <Link
              key={value}
              href={`/${environment.key}/approvals${value === "PENDING" ? "" : `?status=${value}`}`}
              aria-current={status === value ? "page" : undefined}
              className={cn("rounded-md border px-3 py-1", status === value ? "border-primary bg-primary/10 font-medium" : "text-muted-foreground hover:bg-muted")}
            >
              {label}
              {value === "PENDING" && pending ? ` (${pending})` : ""}
            </Link>
          ))}
        </nav>
        <ApprovalQueue
          environment={environment.key}
          rows={rows}
          live={status === "PENDING" || status === "all"}
          canDecide={mayDecide}
          approverRole={settings.approverRole}
        />
        {older || query.before ? (
          <nav aria-label="More requests" className="flex gap-3 text-sm">
            {query.before ? (
              <Link href={`/${environment.key}/approvals?status=${status}`} className="text-primary hover:underline">
                Newest
              </Link>
            ) : null}
            {older ? (
              <Link href={`/${environment.key}/approvals?status=${status}&before=${older}`} className="text-primary hover:underline">
                Older requests
              </Link>
            ) : null}
          </nav>
        ) : null}
        <ApprovalSettingsForm environment={environment.key} settings={settings} editable={hasRole(admin.role, "OWNER")} />
      </div>
    </>
  );
}
