"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import type { ImportPreview } from "@/lib/mcp-import/apply";
import { applyToolImportAction, previewToolImportAction } from "@/actions/mcp-import";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { DefinitionChanges } from "@/components/tools/definition-changes";
import { RiskBadge } from "@/components/tools/tool-badges";
import { annotationsOf, RISK_TIERS, type RiskTier } from "@/lib/tools/schemas";
import { countOf } from "@/lib/format/count";
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
  // The tier each new tool gets, starting from the suggestion read from its hints.
  const [riskTiers, setRiskTiers] = useState<Record<string, RiskTier>>({});

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
      setRiskTiers(Object.fromEntries(result.data.changes.flatMap((change) => (change.suggestedRisk ? [[change.name, change.suggestedRisk.tier]] : []))));
    });
  }

  function apply() {
    if (!source) return;
    startTransition(async () => {
      const result = await applyToolImportAction({ environmentId, serverId, ...source, names: [...picked], riskTiers });
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
          <p className="text-xs text-muted-foreground" data-testid="import-capabilities">
            Listed as an agent client declaring {preview.capabilities.join(", ")}, so tools a server offers only to such clients are included.
          </p>
          {preview.changes.length === 0 ? <p className="text-sm text-muted-foreground">The server lists no tools.</p> : null}
          {preview.changes.length > 0 && preview.changes.every((change) => change.kind === "unchanged") ? (
            <p role="status" className="text-sm">
              Nothing changed: the server lists the same {countOf(preview.changes.length, "tool")} Warden already holds.
            </p>
          ) : (
            <ul className="divide-y rounded-lg border bg-surface">
              {preview.changes.map((change) => {
                const importable = (change.kind === "new" || change.kind === "changed") && !("problem" in change && change.problem);
                return (
                  <li key={change.name} className="min-w-0 space-y-2 p-4">
                    <label className="flex flex-wrap items-center gap-3">
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
                      {change.kind === "new" && change.remote.title ? <span className="text-sm">{change.remote.title}</span> : null}
                      <Badge tone={KIND_TONE[change.kind]}>{change.kind}</Badge>
                      {change.kind === "removed" ? <span className="text-xs text-muted-foreground">No longer listed by the server; delete it by hand if it is gone for good.</span> : null}
                    </label>
                    {"problem" in change && change.problem ? <p className="text-sm text-destructive">{change.problem}</p> : null}
                    {change.kind === "new" ? <NewToolDetails change={change} riskTier={riskTiers[change.name]} onRiskTier={(tier) => setRiskTiers({ ...riskTiers, [change.name]: tier })} /> : null}
                    {change.kind === "changed" ? (
                      <div className="pl-7">
                        <DefinitionChanges changes={change.changes} label={`Changes to ${change.name}`} />
                      </div>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
          {preview.changes.some((change) => change.kind === "new" || change.kind === "changed") ? (
            <Button onClick={apply} disabled={pending || picked.size === 0}>
              {pending ? "Importing…" : `Import ${countOf(picked.size, "tool")}`}
            </Button>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}

const HINT_LABELS = { readOnlyHint: "read-only", destructiveHint: "destructive", idempotentHint: "idempotent", openWorldHint: "open world" } as const;

/** Everything an admin approves by importing a new tool: its hints, schemas and the risk tier it starts with. */
function NewToolDetails({ change, riskTier, onRiskTier }: { change: Extract<ImportPreview["changes"][number], { kind: "new" }>; riskTier?: RiskTier; onRiskTier: (tier: RiskTier) => void }) {
  const hints = annotationsOf(change.remote.annotations);
  const extra = { outputSchema: change.remote.outputSchema, execution: change.remote.execution, icons: change.remote.icons, _meta: change.remote.meta };
  return (
    <div className="min-w-0 space-y-2 pl-7 text-sm">
      <p className="text-muted-foreground">{change.remote.description ?? "No description."}</p>
      <p className="flex flex-wrap gap-1" aria-label={`Hints of ${change.name}`}>
        {(Object.keys(HINT_LABELS) as (keyof typeof HINT_LABELS)[])
          .filter((hint) => hints[hint])
          .map((hint) => (
            <Badge key={hint} tone="neutral">
              {HINT_LABELS[hint]}
            </Badge>
          ))}
      </p>
      {change.suggestedRisk ? (
        <div className="flex flex-wrap items-center gap-2">
          <label htmlFor={`risk-${change.name}`} className="font-medium">
            Risk tier
          </label>
          <Select id={`risk-${change.name}`} value={riskTier ?? change.suggestedRisk.tier} onChange={(event) => onRiskTier(event.target.value as RiskTier)} className="w-32">
            {RISK_TIERS.map((tier) => (
              <option key={tier} value={tier}>
                {tier}
              </option>
            ))}
          </Select>
          <span className="text-xs text-muted-foreground">
            Suggested <RiskBadge tier={change.suggestedRisk.tier} /> because {change.suggestedRisk.because}.
          </span>
        </div>
      ) : null}
      <details>
        <summary className="cursor-pointer text-xs font-medium">Input schema{Object.values(extra).some((value) => value != null) ? " and other fields" : ""}</summary>
        <pre className="mt-1 max-h-64 overflow-auto rounded border bg-muted/40 p-2 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]">
          {JSON.stringify({ inputSchema: change.remote.inputSchema, ...Object.fromEntries(Object.entries(extra).filter(([, value]) => value != null)) }, null, 2)}
        </pre>
      </details>
    </div>
  );
}
