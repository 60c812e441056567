"use client";

import { usePathname, useRouter } from "next/navigation";
import { useTransition } from "react";
import type { TestAccessQuery } from "@/lib/policy/test-access-query";
import type { PolicyClient, PolicyRole, PolicyTool } from "@/sdk/src/contract/policy";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";
import { KindBadge } from "@/components/clients/client-badges";

const TEXTAREA = "w-full rounded-md border bg-surface px-3 py-2 font-mono text-sm placeholder:text-muted-foreground aria-[invalid=true]:border-destructive";

function clientOptionLabel(client: Pick<PolicyClient, "status" | "kind"> & { name?: string | null }): string {
  return client.kind === "PRE_REGISTERED" ? `Pre-registered · ${client.name ? `${client.name} · ` : ""}${STATUS_WORDS[client.status]}` : `CIMD · ${STATUS_WORDS[client.status]}`;
}

const STATUS_WORDS: Record<PolicyClient["status"], string> = { PENDING: "pending", APPROVED: "approved", REJECTED: "rejected", SUSPENDED: "suspended" };

/**
 * The question, as a form whose state is the URL: submitting navigates to
 * ?subject=…&client=…, the page evaluates it on the server, and the link can
 * be shared to show someone the same decision.
 */
export function TestAccessForm({
  tools,
  clients,
  roles,
  query,
  fieldErrors,
}: {
  tools: PolicyTool[];
  /** name: what an admin called a pre-registered client. */
  clients: (Pick<PolicyClient, "clientId" | "status" | "kind"> & { name?: string | null })[];
  roles: PolicyRole[];
  query: TestAccessQuery;
  fieldErrors: Record<string, string[]>;
}) {
  const router = useRouter();
  const asked = clients.find((client) => client.clientId === query.client);
  const pathname = usePathname();
  const [pending, startNavigation] = useTransition();

  // A shared link may name a tool that no longer exists; keep it selectable so its decision still shows.
  const options = tools.map((tool) => ({ server: tool.server, name: tool.name, note: toolNote(tool) }));
  if (query.server && query.tool && !options.some((option) => option.server === query.server && option.name === query.tool)) {
    options.push({ server: query.server, name: query.tool, note: "not defined" });
  }
  const selected = options.findIndex((option) => option.server === query.server && option.name === query.tool);
  const servers = [...new Set(options.map((option) => option.server))];

  function submit(form: FormData) {
    const option = options[Number(form.get("tool"))];
    const params = new URLSearchParams();
    const set = (key: string, value: FormDataEntryValue | null | undefined) => {
      const text = typeof value === "string" ? value.trim() : "";
      if (text) params.set(key, text);
    };
    set("subject", form.get("subject"));
    set("client", form.get("client"));
    set("server", option?.server);
    set("tool", option?.name);
    set("scopes", form.get("scopes"));
    for (const role of form.getAll("roles")) if (typeof role === "string") params.append("roles", role);
    set("claims", form.get("claims"));
    startNavigation(() => router.push(`${pathname}?${params.toString()}`, { scroll: false }));
  }

  const errors = Object.keys(fieldErrors).length > 0;
  return (
    <form onSubmit={handleSubmit(submit)} className="space-y-4" aria-label="Access question" noValidate>
      {errors ? <Alert tone="error">Some fields need attention before the decision can be evaluated.</Alert> : null}
      <Field id="access-subject" label="Subject" hint="The user's sub claim. Recorded with the decision; it grants nothing by itself.">
        <Input id="access-subject" name="subject" defaultValue={query.subject} placeholder="e.g. user-123" autoComplete="off" aria-describedby={describedBy("access-subject")} maxLength={512} />
      </Field>
      <Field id="access-client" label="Client" hint="Pick a registered client or type any client_id: a CIMD URL, or the id your IdP issued.">
        <Input id="access-client" name="client" list="access-client-options" defaultValue={query.client} placeholder="e.g. https://agent.example/client.json or 0oa1b2c3d4" autoComplete="off" required maxLength={2048} aria-describedby={describedBy("access-client")} />
        <datalist id="access-client-options">
          {clients.map((client) => (
            <option key={client.clientId} value={client.clientId} label={clientOptionLabel(client)} />
          ))}
        </datalist>
        {asked ? (
          <p className="flex items-center gap-2 text-xs text-muted-foreground" data-testid="access-client-kind">
            <KindBadge kind={asked.kind ?? "CIMD"} /> {asked.name ?? null} {STATUS_WORDS[asked.status]}
          </p>
        ) : null}
      </Field>
      <Field id="access-tool" label="Tool">
        <Select id="access-tool" name="tool" defaultValue={selected >= 0 ? String(selected) : ""} required>
          <option value="" disabled>
            Choose a tool…
          </option>
          {servers.map((server) => (
            <optgroup key={server} label={server}>
              {options.map((option, index) =>
                option.server === server ? (
                  <option key={`${option.server}/${option.name}`} value={index}>
                    {option.server}/{option.name}
                    {option.note ? ` (${option.note})` : ""}
                  </option>
                ) : null,
              )}
            </optgroup>
          ))}
        </Select>
      </Field>
      <Field id="access-scopes" label="Token scopes" hint="Space-separated, as in the token's scope claim." errors={fieldErrors.scopes}>
        <Input id="access-scopes" name="scopes" defaultValue={query.scopes} placeholder="e.g. tools:sales.read tools:sales.write" autoComplete="off" aria-invalid={Boolean(fieldErrors.scopes)} aria-describedby={describedBy("access-scopes", fieldErrors.scopes)} />
      </Field>
      <Field id="access-roles" label="Roles" hint={roles.length > 0 ? "Hold Ctrl or ⌘ (or Shift) to pick several. Roles mapped from the claims below count too." : "No roles are defined in this environment yet."}>
        <Select id="access-roles" name="roles" multiple size={Math.min(Math.max(roles.length, 2), 6)} defaultValue={query.roles} className={cn("h-auto py-1")} disabled={roles.length === 0} aria-describedby={describedBy("access-roles")}>
          {roles.map((role) => (
            <option key={role.name} value={role.name}>
              {role.name} ({role.claimName}: {role.claimValue})
            </option>
          ))}
        </Select>
      </Field>
      <Field id="access-claims" label="Token claims (JSON, optional)" hint='Roles are also mapped from these, e.g. {"groups": ["sales-analysts"]}.' errors={fieldErrors.claims}>
        <textarea
          id="access-claims"
          name="claims"
          rows={4}
          defaultValue={query.claims}
          placeholder='{"groups": ["sales-analysts"]}'
          className={TEXTAREA}
          spellCheck={false}
          aria-invalid={Boolean(fieldErrors.claims)}
          aria-describedby={describedBy("access-claims", fieldErrors.claims)}
        />
      </Field>
      <div className="flex items-center gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Evaluating…" : "Test access"}
        </Button>
        <Button variant="ghost" onClick={() => startNavigation(() => router.push(pathname))}>
          Clear
        </Button>
      </div>
    </form>
  );
}

/** Points a control at the text under it: its errors when it has any, else its hint. */
function describedBy(id: string, errors?: string[]): string {
  return errors?.length ? `${id}-error` : `${id}-hint`;
}

function toolNote(tool: PolicyTool): string {
  if (!tool.enabled) return "disabled";
  if (!tool.approved) return "not approved";
  return tool.requiresApproval ? "needs human approval" : "";
}
