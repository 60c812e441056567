import type { Metadata } from "next";
import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { decideExchange, EMPTY_DELEGATION_POLICY } from "@/lib/delegation/decide-exchange";
import { loadDelegationPolicy } from "@/lib/delegation/delegation";
import { parseTestExchangeQuery } from "@/lib/delegation/test-exchange-query";
import { environmentFromParams } from "@/lib/environments/current";
import { loadPolicySnapshot } from "@/lib/policy/load";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Test a token exchange" };

// Read-only, like Test access: any admin may ask, against the draft.
export default async function TestExchangePage({
  params,
  searchParams,
}: {
  params: Promise<{ env: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { query, request } = parseTestExchangeQuery(await searchParams);
  const db = getDb();
  const [policy, delegation, servers] = await Promise.all([
    loadPolicySnapshot(db, environment.id),
    loadDelegationPolicy(db, environment.id),
    db.mcpServer.findMany({ where: { environmentId: environment.id }, orderBy: { name: "asc" }, select: { name: true } }),
  ]);
  const apis = delegation?.downstreamApis ?? [];
  const decision = request ? decideExchange(policy, delegation ?? EMPTY_DELEGATION_POLICY, request) : null;
  const field = "flex flex-col gap-1 text-sm font-medium";
  return (
    <>
      <PageHeader
        title="Test a token exchange"
        description={`May an MCP server, for this user via this agent, get these scopes on a downstream API in ${environment.name}? Evaluated against the draft.`}
      />
      <p className="mb-4 text-sm">
        <Link className="underline" href={`/${environment.key}/access`}>
          ← Test a tool call instead
        </Link>
      </p>
      {apis.length === 0 ? (
        <section className="rounded-lg border border-dashed p-8">
          <h2 className="font-medium">No downstream API yet</h2>
          <p className="mt-1 text-sm text-muted-foreground">Add a downstream API and delegate it to a server before testing exchanges.</p>
          <Button asChild className="mt-4">
            <Link href={`/${environment.key}/downstream`}>Go to Downstream APIs</Link>
          </Button>
        </section>
      ) : (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,28rem)_minmax(0,1fr)]">
          <form method="get" aria-label="Token exchange question" className="space-y-3 rounded-lg border bg-surface p-5">
            <label className={field}>
              MCP server
              <Select name="server" defaultValue={query.server}>
                <option value="">Choose a server</option>
                {servers.map((server) => (
                  <option key={server.name}>{server.name}</option>
                ))}
              </Select>
            </label>
            <label className={field}>
              Downstream API
              <Select name="audience" defaultValue={query.audience}>
                <option value="">Choose an API</option>
                {apis.map((api) => (
                  <option key={api.name} value={api.audience}>
                    {api.name} ({api.audience})
                  </option>
                ))}
              </Select>
            </label>
            <label className={field}>
              Agent (client ID)
              <Select name="client" defaultValue={query.client}>
                <option value="">Choose a client</option>
                {policy.clients.map((client) => (
                  <option key={client.clientId} value={client.clientId}>
                    {client.clientId} ({client.status.toLowerCase()})
                  </option>
                ))}
              </Select>
            </label>
            <label className={field}>
              User (sub)
              <Input name="subject" defaultValue={query.subject} placeholder="alice@example.com" />
            </label>
            <label className={field}>
              Tool (optional)
              <Input name="tool" defaultValue={query.tool} placeholder="book_meeting" />
            </label>
            <label className={field}>
              Scopes asked for (empty: all allowed)
              <Input name="scope" defaultValue={query.scope} placeholder="calendar:write" className="font-mono" />
            </label>
            <label className={field}>
              Scopes on the user&apos;s token
              <Input name="incoming" defaultValue={query.incoming} placeholder="tools:calendar.write" className="font-mono" />
            </label>
            <label className={field}>
              User&apos;s roles
              <Input name="roles" defaultValue={query.roles} placeholder="planner" />
            </label>
            <Button type="submit">Test exchange</Button>
          </form>
          <div aria-live="polite">
            {decision ? (
              <section aria-label="Exchange decision" className="space-y-3 rounded-lg border bg-surface p-5">
                <div className="flex items-center gap-2">
                  <Badge tone={decision.ok ? "success" : "danger"}>{decision.ok ? "granted" : decision.error}</Badge>
                  <code className="text-xs text-muted-foreground">{decision.rule}</code>
                </div>
                <p>{decision.message}</p>
                {decision.ok ? (
                  <p className="text-sm">
                    Token scopes: <code className="font-mono">{decision.granted.join(" ")}</code>, valid {decision.api.tokenLifetimeSeconds} s.
                  </p>
                ) : null}
                {decision.dropped.length > 0 ? (
                  <Alert tone="warning" title="Left out">
                    <ul className="list-disc pl-5">
                      {decision.dropped.map((entry) => (
                        <li key={entry.scope}>{entry.why}</li>
                      ))}
                    </ul>
                  </Alert>
                ) : null}
              </section>
            ) : (
              <div className="rounded-lg border border-dashed p-8 text-sm text-muted-foreground">
                Choose a server, an API and an agent, add the scopes, then select <strong>Test exchange</strong> to see what Warden would grant and why.
              </div>
            )}
          </div>
        </div>
      )}
    </>
  );
}
