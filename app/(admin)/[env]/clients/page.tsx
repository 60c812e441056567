import type { Metadata } from "next";
import Link from "next/link";
import { Plus } from "lucide-react";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { ClientListQuerySchema, listClients, pendingClientCount } from "@/lib/clients/clients";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { ClientsTable } from "@/components/clients/clients-table";
import { TrustPolicyForm } from "@/components/clients/trust-policy-form";
import { getTrustPolicy } from "@/lib/clients/trust-policy";

export const metadata: Metadata = { title: "Clients" };

export default async function ClientsPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const search = await searchParams;
  const query = ClientListQuerySchema.parse(search);
  const deleted = typeof search.deleted === "string" ? search.deleted.slice(0, 2_048) : null;
  const [{ rows, total }, pending, policy] = await Promise.all([
    listClients(getDb(), environment.id, query),
    pendingClientCount(getDb(), environment.id),
    getTrustPolicy(getDb(), environment.id),
  ]);
  return (
    <>
      <PageHeader
        title="Clients"
        description={`Agents that identify themselves by a Client ID Metadata Document URL (CIMD) or by an id your IdP issued (pre-registered). Only approved clients reach ${environment.name}'s MCP servers.${pending ? ` ${pending} waiting for review.` : ""}`}
        actions={
          canMutate(admin.role) ? (
            <Button asChild>
              <Link href={`/${environment.key}/clients/new`}>
                <Plus className="h-4 w-4" aria-hidden /> Register client
              </Link>
            </Button>
          ) : null
        }
      />
      <div className="space-y-6">
        {deleted ? <Alert tone="success">Deleted {deleted}. It leaves the configuration at the next publish.</Alert> : null}
        <ClientsTable environment={environment.key} rows={rows} total={total} query={query} canRegister={canMutate(admin.role)} />
        <TrustPolicyForm environment={environment.key} policy={policy} editable={canMutate(admin.role)} />
      </div>
    </>
  );
}
