import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { preRegisteredClientNames } from "@/lib/clients/clients";
import { getDb } from "@/lib/db/client";
import { environmentFromParams } from "@/lib/environments/current";
import { decide } from "@/sdk/src/contract/decide";
import { loadPolicySnapshot } from "@/lib/policy/load";
import { parseTestAccessQuery } from "@/lib/policy/test-access-query";
import { PageHeader } from "@/components/ui/page-header";
import { Button } from "@/components/ui/button";
import { DecisionResult } from "@/components/access/decision-result";
import { TestAccessForm } from "@/components/access/test-access-form";

export const metadata: Metadata = { title: "Test access" };

// Read-only: any admin may ask, and asking changes nothing.
export default async function TestAccessPage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const input = parseTestAccessQuery(await searchParams);
  const [snapshot, names] = await Promise.all([loadPolicySnapshot(getDb(), environment.id), preRegisteredClientNames(getDb(), environment.id)]);
  const header = (
    <PageHeader
      title="Test access"
      description={`May this user, through this agent, call this tool in ${environment.name}? Evaluated against the current draft, as MCP servers will decide once it is published.`}
    />
  );

  if (snapshot.tools.length === 0) {
    return (
      <>
        {header}
        <section className="rounded-lg border border-dashed p-8" aria-labelledby="access-empty">
          <h2 id="access-empty" className="font-medium">
            Define servers and tools first
          </h2>
          <p className="mt-1 text-sm text-muted-foreground">
            {environment.name} has no tools yet, so every call would be denied. Add the MCP servers agents reach and the tools they expose, then grant them to
            roles.
          </p>
          <Button asChild className="mt-4">
            <Link href={`/${environment.key}/servers`}>Go to Servers &amp; Tools</Link>
          </Button>
        </section>
      </>
    );
  }

  const decision = input.request ? decide(snapshot, input.request) : null;
  return (
    <>
      {header}
      <p className="mb-4 text-sm">
        <Link className="underline" href={`/${environment.key}/access/token-exchange`}>
          Test a token exchange to a downstream API →
        </Link>
      </p>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,28rem)_minmax(0,1fr)]">
        <div className="rounded-lg border bg-surface p-5">
          <TestAccessForm
            // A new URL is a new question: remount so that the fields show what the URL says.
            key={JSON.stringify(input.query)}
            tools={snapshot.tools}
            clients={snapshot.clients.map(({ clientId, status, kind }) => ({ clientId, status, kind, name: names.get(clientId) ?? null }))}
            roles={snapshot.roles}
            query={input.query}
            fieldErrors={input.fieldErrors}
          />
        </div>
        <div aria-live="polite">
          {decision ? (
            <DecisionResult decision={decision} />
          ) : (
            <div className="rounded-lg border border-dashed p-8 text-sm text-muted-foreground">
              Choose a client and a tool, add the token&apos;s scopes and the subject&apos;s roles or claims, then select <strong>Test access</strong> to see
              the decision and why.
            </div>
          )}
        </div>
      </div>
    </>
  );
}
