import type { Metadata } from "next";
import Link from "next/link";
import { canMutate } from "@/lib/auth/admin-roles";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { downstreamOverview } from "@/lib/delegation/delegation";
import { environmentFromParams } from "@/lib/environments/current";
import { DownstreamApis } from "@/components/downstream/downstream-apis";
import { DelegationMatrix } from "@/components/downstream/delegation-matrix";
import { PageHeader } from "@/components/ui/page-header";
import { RotateTokenKeyButton } from "@/components/downstream/rotate-key-button";

export const metadata: Metadata = { title: "Downstream APIs" };

export default async function DownstreamPage({ params }: { params: Promise<{ env: string }> }) {
  const admin = await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const [overview, activeKey] = await Promise.all([
    downstreamOverview(getDb(), environment.id),
    getDb().tokenSigningKey.findFirst({ where: { activatedAt: { not: null }, retiredAt: null }, orderBy: { activatedAt: "desc" }, select: { kid: true } }),
  ]);
  const editable = canMutate(admin.role);
  const issuer = `/api/v1/issuers/${environment.key}`;
  return (
    <>
      <PageHeader
        title="Downstream APIs"
        description={`${environment.name}: APIs your MCP servers call on behalf of the user, with short tokens Warden issues by token exchange, within the delegations below. Changes apply once the next configuration is published.`}
      />
      <DownstreamApis envKey={environment.key} apis={overview.apis} editable={editable} />
      <section className="mt-8" aria-labelledby="delegations-heading">
        <h2 id="delegations-heading" className="text-base font-semibold">
          Delegations
        </h2>
        <p className="mt-1 mb-3 text-sm text-muted-foreground">
          Which MCP server may obtain tokens for which API, optionally only from named tools, for subjects with given roles, up to a scope ceiling; and which scope
          the user&apos;s token must carry for each downstream scope.
        </p>
        <DelegationMatrix envKey={environment.key} overview={overview} editable={editable} />
      </section>
      <p className="mt-8 text-sm">
        <Link className="underline" href={`/${environment.key}/access/token-exchange`}>
          Test a token exchange
        </Link>{" "}
        ·{" "}
        <Link className="underline" href={`/${environment.key}/audit?action=token.exchange`}>
          Token exchanges in the audit trail
        </Link>
      </p>
      {admin.role === "OWNER" ? (
        <div className="mt-4">
          <RotateTokenKeyButton envKey={environment.key} activeKid={activeKey?.kid ?? null} />
        </div>
      ) : null}
      <p className="mt-2 text-xs text-muted-foreground">
        APIs verify the tokens with Warden&apos;s metadata at <code className="font-mono">/.well-known/oauth-authorization-server{issuer}</code> and its keys at{" "}
        <code className="font-mono">{issuer}/jwks</code>.
      </p>
    </>
  );
}
