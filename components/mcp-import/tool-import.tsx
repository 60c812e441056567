"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import type { ImportPreview } from "@/lib/mcp-import/apply";
import { applyToolImportAction, previewToolImportAction } from "@/app/(admin)/[env]/servers/[serverId]/import/actions";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

const KIND_TONE = { new: "success", changed: "warning", removed: "danger", unchanged: "neutral" } as const;

export function ToolImport({ environmentId, serverId, serverPath, defaultUrl }: { environmentId: string; serverId: string; serverPath: string; defaultUrl: string }) {
  const [pending, startTransition] = useTransition();
  const [source, setSource] = useState<{ url: string; bearerToken?: string } | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [done, setDone] = useState<{ created: string[]; changed: string[] } | null>(null);

  function connect(form: FormData) {
    const next = { url: String(form.get("url") ?? ""), bearerToken: String(form.get("bearerToken") ?? "") || undefined };
    setError(undefined);
    setDone(null);
    startTransition(async () => {
      const result = await previewToolImportAction({ environmentId, serverId, ...next });
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      if (!result.ok) {
        setError(result.error);
        setPreview(null);
        return;
      }
      setSource(next);
      setPreview(result.data);
      setPicked(new Set(result.data.changes.filter((change) => (change.kind === "new" || change.kind === "changed") && !("problem" in change && change.problem)).map((change) => change.name)));
    });
  }

  function apply() {
    if (!source) return;
    startTransition(async () => {
      const result = await applyToolImportAction({ environmentId, serverId, ...source, names: [...picked] });
      if (!result.ok) return setError(result.error);
      setDone(result.data);
      setPreview(null);
    });
  }

  return (
    <div className="space-y-6">
      <form onSubmit={handleSubmit(connect)} className="grid gap-4 rounded-lg border bg-surface p-5 md:grid-cols-[2fr_1fr_auto] md:items-end" noValidate>
        <Field id="url" label="MCP endpoint URL" hint="Streamable HTTP, e.g. https://sales.example.com/mcp" errors={fieldErrors.url}>
          <Input id="url" name="url" type="url" required defaultValue={defaultUrl} className="font-mono" />
        </Field>
        <Field id="bearerToken" label="Bearer token (optional)" hint="Sent to this server only; never stored." errors={fieldErrors.bearerToken}>
          <Input id="bearerToken" name="bearerToken" type="password" autoComplete="off" />
        </Field>
        <Button type="submit" disabled={pending}>
          {pending && !preview ? "Connecting…" : "List tools"}
        </Button>
      </form>

      {error ? <Alert tone="error">{error}</Alert> : null}
      {done ? (
        <Alert tone="success" title="Import done">
          {done.created.length ? `Imported ${done.created.join(", ")}. ` : ""}
          {done.changed.length ? `Recorded new definitions of ${done.changed.join(", ")}: ${done.changed.length === 1 ? "it is" : "they are"} changed since approval and ${done.changed.length === 1 ? "stays" : "stay"} out of published config until approved. ` : ""}
          <Link href={serverPath} className="font-medium text-primary hover:underline">
            Back to the server
          </Link>
        </Alert>
      ) : null}

      {preview ? (
        <section aria-label="Import preview" className="space-y-3">
          {preview.changes.length === 0 ? <p className="text-sm text-muted-foreground">The server lists no tools.</p> : null}
          <ul className="divide-y rounded-lg border bg-surface">
            {preview.changes.map((change) => {
              const importable = (change.kind === "new" || change.kind === "changed") && !("problem" in change && change.problem);
              return (
                <li key={change.name} className="space-y-2 p-4">
                  <label className="flex items-center gap-3">
                    <input
                      type="checkbox"
                      className="h-4 w-4"
                      disabled={!importable}
                      checked={picked.has(change.name)}
                      aria-label={`Import ${change.name}`}
                      onChange={(event) => {
                        const next = new Set(picked);
                        if (event.target.checked) next.add(change.name);
                        else next.delete(change.name);
                        setPicked(next);
                      }}
                    />
                    <span className="font-mono text-sm font-medium">{change.name}</span>
                    <Badge tone={KIND_TONE[change.kind]}>{change.kind}</Badge>
                    {change.kind === "removed" ? <span className="text-xs text-muted-foreground">No longer listed by the server; delete it by hand if it is gone for good.</span> : null}
                  </label>
                  {"problem" in change && change.problem ? <p className="text-sm text-destructive">{change.problem}</p> : null}
                  {change.kind === "new" ? <p className="pl-7 text-sm text-muted-foreground">{change.remote.description ?? "No description."}</p> : null}
                  {change.kind === "changed" ? (
                    <table className="ml-7 text-xs" aria-label={`Changes to ${change.name}`}>
                      <tbody>
                        {change.fields.map((field) => (
                          <tr key={field.field} className="align-top">
                            <th scope="row" className="py-1 pr-3 text-left font-medium">
                              {field.field}
                            </th>
                            <td className="py-1 pr-3 font-mono break-all text-destructive line-through">{JSON.stringify(field.before)}</td>
                            <td className="py-1 font-mono break-all text-success">{JSON.stringify(field.after)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : null}
                </li>
              );
            })}
          </ul>
          <Button onClick={apply} disabled={pending || picked.size === 0}>
            {pending ? "Importing…" : `Import ${picked.size} tool${picked.size === 1 ? "" : "s"}`}
          </Button>
        </section>
      ) : null}
    </div>
  );
}
