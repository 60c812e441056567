"use client";

import { Copy, Trash2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ProtectedResourceMetadata, ServerDetail } from "@/lib/servers/servers";
import { deleteServerAction, updateServerAction } from "@/actions/servers";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { handleSubmit } from "@/components/ui/submit";
import { ServerFields, groupFieldErrors } from "./server-form";
import { countOf } from "@/lib/format/count";

export function ServerEditForm({ server, editable }: { server: ServerDetail; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [shown, setShown] = useState(server);
  const [formKey, setFormKey] = useState(0);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [theirs, setTheirs] = useState<ServerDetail | null>(null);

  function submit(form: FormData) {
    setSaved(false);
    startTransition(async () => {
      const result = await updateServerAction({ ...Object.fromEntries(form.entries()), environmentId: server.environmentId, serverId: server.id, version: shown.version });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(groupFieldErrors(result.fieldErrors));
        setTheirs((result.current as ServerDetail | undefined) ?? null);
        return;
      }
      setError(undefined);
      setFieldErrors({});
      setTheirs(null);
      setShown(result.data);
      setSaved(true);
      router.refresh();
    });
  }

  return (
    <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate aria-label="Server settings">
      {saved ? <Alert tone="success">Saved.</Alert> : null}
      {error ? (
        <Alert tone="error">
          {error}
          {theirs ? (
            <div className="mt-2 space-y-2 text-foreground">
              <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
                <dt className="font-medium">Name</dt>
                <dd>{theirs.name}</dd>
                <dt className="font-medium">Resource identifier</dt>
                <dd className="font-mono">{theirs.resourceUri}</dd>
                <dt className="font-medium">Issuer</dt>
                <dd className="font-mono">{theirs.authorizationServer}</dd>
                <dt className="font-medium">Scopes</dt>
                <dd className="font-mono">{theirs.scopesSupported.join(" ") || "—"}</dd>
              </dl>
              <Button
                size="sm"
                variant="secondary"
                onClick={() => {
                  setShown(theirs);
                  setFormKey((key) => key + 1);
                  setTheirs(null);
                  setError(undefined);
                }}
              >
                Load their values
              </Button>
            </div>
          ) : null}
        </Alert>
      ) : null}
      <ServerFields key={formKey} idPrefix="server" defaults={shown} fieldErrors={fieldErrors} readOnly={!editable} />
      {editable ? (
        <div className="flex justify-end">
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : "Save server"}
          </Button>
        </div>
      ) : null}
    </form>
  );
}

export function DeleteServerButton({
  server,
  environmentKey,
  impact,
}: {
  server: ServerDetail;
  environmentKey: string;
  impact: { tools: number; grants: number };
}) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  return (
    <>
      <Button variant="secondary" className="text-destructive" onClick={() => setOpen(true)}>
        <Trash2 className="h-4 w-4" aria-hidden /> Delete server
      </Button>
      {error ? <Alert tone="error">{error}</Alert> : null}
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title={`Delete ${server.name}?`}
        description={
          <>
            This deletes the server <strong>{server.name}</strong>, its {countOf(impact.tools, "tool")} and {countOf(impact.grants, "grant")} to roles. Agents lose
            access to these tools at the next published config. This cannot be undone.
          </>
        }
        confirmLabel="Delete server"
        pending={pending}
        onConfirm={() =>
          startTransition(async () => {
            const result = await deleteServerAction({ environmentId: server.environmentId, serverId: server.id, version: server.version });
            setOpen(false);
            if (!result.ok) {
              setError(result.error);
              router.refresh();
              return;
            }
            router.push(`/${environmentKey}/servers`);
          })
        }
      />
    </>
  );
}

export function ProtectedResourceMetadataPanel({ metadata }: { metadata: ProtectedResourceMetadata }) {
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(metadata, null, 2);
  return (
    <section aria-labelledby="prm-heading" className="space-y-2">
      <div className="flex items-center justify-between gap-2">
        <div>
          <h2 id="prm-heading" className="text-base font-semibold">
            Protected Resource Metadata
          </h2>
          <p className="text-xs text-muted-foreground">
            RFC 9728 document the server serves at <code>/.well-known/oauth-protected-resource</code>.
          </p>
        </div>
        <Button
          variant="secondary"
          size="sm"
          onClick={async () => {
            await navigator.clipboard.writeText(text);
            setCopied(true);
          }}
        >
          <Copy className="h-4 w-4" aria-hidden /> {copied ? "Copied" : "Copy JSON"}
        </Button>
      </div>
      <pre data-testid="prm-json" className="overflow-x-auto rounded-md border bg-muted/40 p-3 font-mono text-xs">
        {text}
      </pre>
    </section>
  );
}
