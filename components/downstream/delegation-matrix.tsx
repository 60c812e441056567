"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { DownstreamOverview } from "@/lib/delegation/delegation";
import { removeDelegationAction, setDelegationAction } from "@/actions/downstream";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

type Api = DownstreamOverview["apis"][number];
type Server = DownstreamOverview["servers"][number];
type Delegation = Api["delegations"][number];

/** Servers down, APIs across: each cell says whether, and how far, that server may act for users on that API. */
export function DelegationMatrix({ envKey, overview, editable }: { envKey: string; overview: DownstreamOverview; editable: boolean }) {
  const [message, setMessage] = useState<string>();
  if (overview.apis.length === 0 || overview.servers.length === 0) {
    return (
      <p className="rounded-lg border border-dashed p-6 text-sm text-muted-foreground">
        {overview.servers.length === 0 ? "Add an MCP server under Servers & Tools first." : "Add a downstream API above to delegate it to a server."}
      </p>
    );
  }
  return (
    <div>
      {message ? (
        <p role="status" className="mb-2 text-sm text-muted-foreground">
          {message}
        </p>
      ) : null}
      <div className="relative overflow-x-auto rounded-lg border">
        <table className="w-full text-sm">
          <thead className="bg-muted/50">
            <tr>
              <th scope="col" className="p-2 text-left font-medium">
                MCP server
              </th>
              {overview.apis.map((api) => (
                <th key={api.id} scope="col" className="p-2 text-left font-medium">
                  {api.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {overview.servers.map((server) => (
              <tr key={server.id} className="border-t align-top">
                <th scope="row" className="p-2 text-left font-medium">
                  {server.name}
                </th>
                {overview.apis.map((api) => (
                  <td key={api.id} className="p-2">
                    <DelegationCell
                      envKey={envKey}
                      api={api}
                      server={server}
                      roles={overview.roles}
                      delegation={api.delegations.find((entry) => entry.serverId === server.id) ?? null}
                      editable={editable}
                      onDone={setMessage}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function DelegationCell({
  envKey,
  api,
  server,
  roles,
  delegation,
  editable,
  onDone,
}: {
  envKey: string;
  api: Api;
  server: Server;
  roles: string[];
  delegation: Delegation | null;
  editable: boolean;
  onDone: (message: string) => void;
}) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const label = `${api.name} to ${server.name}`;
  return (
    <div className="space-y-1">
      {delegation ? (
        <ul className="space-y-0.5 text-xs" aria-label={`Delegation of ${label}`}>
          <li>Tools: {delegation.tools.length ? delegation.tools.join(", ") : "any"}</li>
          <li>Scopes: {delegation.scopeCeiling.length ? delegation.scopeCeiling.join(" ") : `all (${api.scopes.join(" ")})`}</li>
          <li>Subjects: {delegation.roles.length ? `roles ${delegation.roles.join(", ")}` : "anyone"}</li>
          {delegation.propagation.map((entry) => (
            <li key={`${entry.scope}:${entry.requires}`} className="font-mono">
              {entry.scope} ⇐ {entry.requires}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-xs text-muted-foreground">Not delegated</p>
      )}
      {editable ? (
        <div className="flex gap-1">
          <Button size="sm" variant={delegation ? "secondary" : "primary"} onClick={() => setEditing(true)} aria-label={delegation ? `Edit the delegation of ${label}` : `Delegate ${label}`}>
            {delegation ? "Edit" : "Delegate"}
          </Button>
          {delegation ? (
            <Button size="sm" variant="ghost" onClick={() => setConfirming(true)} aria-label={`Remove the delegation of ${label}`}>
              Remove
            </Button>
          ) : null}
        </div>
      ) : null}
      {editing ? <DelegationDialog envKey={envKey} api={api} server={server} roles={roles} delegation={delegation} onClose={() => setEditing(false)} onSaved={onDone} /> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Remove the delegation of ${label}?`}
        description={`Once published, ${server.name} can no longer get tokens for ${api.name}; its token exchanges are refused as invalid_target.`}
        confirmLabel="Remove delegation"
        pending={pending}
        onConfirm={() =>
          startTransition(async () => {
            const result = await removeDelegationAction({ environment: envKey, downstreamApiId: api.id, serverId: server.id });
            setConfirming(false);
            onDone(result.ok ? `Removed the delegation of ${label}.` : result.error);
            router.refresh();
          })
        }
      />
    </div>
  );
}

function DelegationDialog({
  envKey,
  api,
  server,
  roles,
  delegation,
  onClose,
  onSaved,
}: {
  envKey: string;
  api: Api;
  server: Server;
  roles: string[];
  delegation: Delegation | null;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const label = `${api.name} to ${server.name}`;

  function submit(form: FormData) {
    const propagation = api.scopes
      .map((scope) => ({ scope, requires: String(form.get(`requires:${scope}`) ?? "").trim() }))
      .filter((entry) => entry.requires);
    startTransition(async () => {
      const result = await setDelegationAction({
        environment: envKey,
        downstreamApiId: api.id,
        serverId: server.id,
        tools: form.getAll("tools").map(String),
        scopeCeiling: form.getAll("scopeCeiling").map(String),
        roles: form.getAll("roles").map(String),
        propagation,
      });
      if (!result.ok) {
        setError([result.error, ...Object.values(result.fieldErrors ?? {}).flat()].join(" "));
        return;
      }
      onClose();
      onSaved(`Delegated ${label}.`);
      router.refresh();
    });
  }

  return (
    <Dialog open onOpenChange={(open) => (open ? undefined : onClose())} title={`Delegate ${label}`} description={`What ${server.name} may obtain tokens for on ${api.name} (${api.audience}).`}>
      <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <Checklist legend="Only from these tools (none: any tool)" name="tools" options={server.tools} checked={delegation?.tools ?? []} empty="This server has no tools yet." />
        <Checklist legend="Scope ceiling (none: every scope of the API)" name="scopeCeiling" options={api.scopes} checked={delegation?.scopeCeiling ?? []} mono />
        <Checklist legend="Only for subjects with a role (none: anyone)" name="roles" options={roles} checked={delegation?.roles ?? []} empty="No roles in this environment." />
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Scope propagation: the user&apos;s token must carry…</legend>
          {api.scopes.map((scope) => (
            <label key={scope} className="flex items-center gap-2 text-sm">
              <span className="w-40 shrink-0 font-mono">{scope} needs</span>
              <Input
                name={`requires:${scope}`}
                aria-label={`Incoming scope required for ${scope}`}
                placeholder="(nothing)"
                defaultValue={delegation?.propagation.find((entry) => entry.scope === scope)?.requires ?? ""}
                className="font-mono"
              />
            </label>
          ))}
        </fieldset>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : "Save delegation"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function Checklist({ legend, name, options, checked, empty, mono }: { legend: string; name: string; options: string[]; checked: string[]; empty?: string; mono?: boolean }) {
  return (
    <fieldset className="space-y-1">
      <legend className="text-sm font-medium">{legend}</legend>
      {options.length === 0 ? <p className="text-xs text-muted-foreground">{empty}</p> : null}
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {options.map((option) => (
          <label key={option} className={`flex items-center gap-1.5 text-sm ${mono ? "font-mono" : ""}`}>
            <input type="checkbox" name={name} value={option} defaultChecked={checked.includes(option)} />
            {option}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
