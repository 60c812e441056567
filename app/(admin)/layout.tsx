import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { requireAdmin } from "@/lib/auth/session";
import { pendingApprovalCounts } from "@/lib/approvals/approval-requests";
import { getDb } from "@/lib/db/client";
import { listEnvironments } from "@/lib/environments/environments";
import { AppShell } from "@/components/shell/app-shell";
import { ENVIRONMENT_COOKIE } from "@/components/shell/nav";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const admin = await requireAdmin("VIEWER");
  const [environments, pending, approvals] = await Promise.all([
    listEnvironments(getDb()),
    getDb().client.groupBy({ by: ["environmentId"], where: { status: "PENDING" }, _count: { _all: true } }),
    pendingApprovalCounts(getDb()),
  ]);
  const pendingClients = Object.fromEntries(
    environments.map((environment) => [environment.key, pending.find((row) => row.environmentId === environment.id)?._count._all ?? 0]),
  );
  const pendingApprovals = Object.fromEntries(environments.map((environment) => [environment.key, approvals.get(environment.id) ?? 0]));
  const remembered = (await cookies()).get(ENVIRONMENT_COOKIE)?.value;
  const fallback = environments.find((environment) => environment.key === remembered)?.key ?? environments[0]?.key ?? "dev";
  return (
    <AppShell
      environments={environments}
      fallbackEnvironment={fallback}
      pendingClients={pendingClients}
      pendingApprovals={pendingApprovals}
      admin={{ email: admin.email, name: admin.name, role: admin.role, hasPassword: admin.hasPassword }}
    >
      {children}
    </AppShell>
  );
}
