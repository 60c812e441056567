"use client";

import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { DownstreamOverview } from "@/lib/delegation/delegation";
import { createDownstreamApiAction, deleteDownstreamApiAction, updateDownstreamApiAction } from "@/actions/downstream";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

type Api = DownstreamOverview["apis"][number];

export function DownstreamApis({ envKey, apis, editable }: { envKey: string; apis: Api[]; editable: boolean }) {
  const [creating, setCreating] = useState(false);
  const [message, setMessage] = useState<string>();
  return (
    <section aria-labelledby="apis-heading">
      <div className="mb-3 flex items-center gap-3">
        <h2 id="apis-heading" className="text-base font-semibold">
          APIs
        </h2>
        {message ? (
          <span role="status" className="text-xs text-muted-foreground">
            {message}
          </span>
        ) : null}
        {editable ? (
          <Button className="ml-auto" onClick={() => setCreating(true)}>
            <Plus className="h-4 w-4" aria-hidden /> Add downstream API
          </Button>
        ) : null}
      </div>
      {apis.length === 0 ? (
        <p className="rounded-lg border border-dashed p-6 text-sm text-muted-foreground">
          No downstream API yet. Add one (its audience URI and the scopes it understands) so that MCP servers can call it on behalf of users.
        </p>
      ) : (
        <ul className="grid grid-cols-1 gap-3 md:grid-cols-2">
          {apis.map((api) => (
            <ApiCard key={`${api.id}:${api.version}`} envKey={envKey} api={api} editable={editable} onDone={setMessage} />
          ))}
        </ul>
      )}
      {creating ? <ApiFormDialog envKey={envKey} api={null} onClose={() => setCreating(false)} onSaved={setMessage} /> : null}
    </section>
  );
}

function ApiCard({ envKey, api, editable, onDone }: { envKey: string; api: Api; editable: boolean; onDone: (message: string) => void }) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  return (
    <li className="rounded-lg border bg-surface p-4" aria-label={`Downstream API ${api.name}`}>
      <div className="flex items-start gap-2">
        <div className="min-w-0">
          <h3 className="font-medium">{api.name}</h3>
          <p className="truncate font-mono text-xs text-muted-foreground">{api.audience}</p>
        </div>
        {editable ? (
          <div className="ml-auto flex gap-1">
            <Button size="sm" variant="secondary" onClick={() => setEditing(true)} aria-label={`Edit ${api.name}`}>
              Edit
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setConfirming(true)} aria-label={`Delete ${api.name}`}>
              Delete
            </Button>
          </div>
        ) : null}
      </div>
      {api.description ? <p className="mt-2 text-sm">{api.description}</p> : null}
      <div className="mt-2 flex flex-wrap gap-1">
        {api.scopes.map((scope) => (
          <Badge key={scope} className="font-mono">
            {scope}
          </Badge>
        ))}
      </div>
      <p className="mt-2 text-xs text-muted-foreground">
        Tokens live {formatLifetime(api.tokenLifetimeSeconds)} · {api.delegations.length} {api.delegations.length === 1 ? "delegation" : "delegations"}
      </p>
      {error ? <Alert tone="error" className="mt-2">{error}</Alert> : null}
      {editing ? <ApiFormDialog envKey={envKey} api={api} onClose={() => setEditing(false)} onSaved={onDone} /> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete ${api.name}?`}
        description={
          api.delegations.length > 0
            ? `Its ${api.delegations.length} ${api.delegations.length === 1 ? "delegation goes" : "delegations go"} with it. Once published, MCP servers can no longer get tokens for ${api.audience}.`
            : `Once published, MCP servers can no longer get tokens for ${api.audience}.`
        }
        confirmLabel="Delete API"
        pending={pending}
        onConfirm={() =>
          startTransition(async () => {
            const result = await deleteDownstreamApiAction({ environment: envKey, id: api.id });
            setConfirming(false);
            if (!result.ok) return setError(result.error);
            onDone(`Deleted ${api.name}.`);
            router.refresh();
          })
        }
      />
    </li>
  );
}

function formatLifetime(seconds: number) {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function ApiFormDialog({ envKey, api, onClose, onSaved }: { envKey: string; api: Api | null; onClose: () => void; onSaved: (message: string) => void }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const prefix = api ? `api-${api.id}` : "api-new";

  function submit(form: FormData) {
    const fields = {
      name: String(form.get("name") ?? ""),
      audience: String(form.get("audience") ?? ""),
      scopes: String(form.get("scopes") ?? "")
        .split(/[\s,]+/)
        .filter(Boolean),
      tokenLifetimeSeconds: Math.round(Number(form.get("lifetimeMinutes") ?? "5") * 60),
      description: String(form.get("description") ?? ""),
      environment: envKey,
    };
    startTransition(async () => {
      const result = api ? await updateDownstreamApiAction({ ...fields, id: api.id, version: api.version }) : await createDownstreamApiAction(fields);
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        router.refresh();
        return;
      }
      onClose();
      onSaved(api ? `Saved ${result.data.name}.` : `Added ${result.data.name}.`);
      router.refresh();
    });
  }

  return (
    <Dialog
      open
      onOpenChange={(open) => (open ? undefined : onClose())}
      title={api ? `Edit ${api.name}` : "Add a downstream API"}
      description="An API MCP servers may call as the user, with tokens whose audience is this API."
    >
      <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
        {error ? <Alert tone="error">{error}</Alert> : null}
        <Field id={`${prefix}-name`} label="Name" hint="Lowercase, for example calendar-api." errors={fieldErrors.name}>
          <Input id={`${prefix}-name`} name="name" defaultValue={api?.name ?? ""} required autoFocus className="font-mono" />
        </Field>
        <Field id={`${prefix}-audience`} label="Audience URI" hint="The aud of issued tokens, for example https://calendar.example.com/api." errors={fieldErrors.audience}>
          <Input id={`${prefix}-audience`} name="audience" defaultValue={api?.audience ?? ""} required className="font-mono" />
        </Field>
        <Field id={`${prefix}-scopes`} label="Scopes it understands" hint="Separated by spaces, for example calendar:read calendar:write." errors={fieldErrors.scopes ?? Object.entries(fieldErrors).filter(([key]) => key.startsWith("scopes.")).flatMap(([, value]) => value)}>
          <Input id={`${prefix}-scopes`} name="scopes" defaultValue={api?.scopes.join(" ") ?? ""} required className="font-mono" />
        </Field>
        <Field id={`${prefix}-lifetime`} label="Token lifetime (minutes)" hint="5 by default, at most 15: issued tokens cannot be revoked." errors={fieldErrors.tokenLifetimeSeconds}>
          <Input id={`${prefix}-lifetime`} name="lifetimeMinutes" type="number" min={0.5} max={15} step={0.5} defaultValue={api ? api.tokenLifetimeSeconds / 60 : 5} />
        </Field>
        <Field id={`${prefix}-description`} label="Description (optional)" errors={fieldErrors.description}>
          <Input id={`${prefix}-description`} name="description" defaultValue={api?.description ?? ""} />
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : api ? "Save API" : "Add API"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
