import type { Metadata } from "next";
import Link from "next/link";
import { listApiKeys } from "@/lib/api-keys/api-keys";
import { getApiKeyRateLimit } from "@/lib/api-keys/rate-limits";
import { canMutate, hasRole } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";
import { ApiKeysPanel } from "@/components/config/api-keys-panel";
import { ApiKeyRateLimitForm } from "@/components/config/api-key-rate-limit-form";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage({ params }: { params: Promise<{ env: string }> }) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const [keys, servers, rateLimit] = await Promise.all([
    listApiKeys(getDb(), environment.id),
    getDb().mcpServer.findMany({ where: { environmentId: environment.id }, orderBy: { name: "asc" }, select: { id: true, name: true } }),
    getApiKeyRateLimit(getDb(), environment.id),
  ]);
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            MCP servers authenticate to {environment.name}&apos;s data plane with these keys.{" "}
            <Link href={`/${environment.key}/config`} className="text-primary hover:underline">
              Back to config
            </Link>
          </>
        }
      />
      <ApiKeyRateLimitForm environment={environment.key} limit={rateLimit} editable={hasRole(admin.role, "OWNER")} />
      <ApiKeysPanel environment={environment.key} keys={keys} servers={servers} editable={canMutate(admin.role)} />
    </>
  );
}
