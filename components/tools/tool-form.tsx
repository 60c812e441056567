"use client";

import { CheckCircle2, Trash2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { DEFAULT_ANNOTATIONS, RISK_TIERS, type ToolAnnotations } from "@/lib/tools/schemas";
import type { ToolDetail } from "@/lib/tools/tools";
import { approveToolDefinitionAction, createToolAction, deleteToolAction, updateToolAction } from "@/actions/tools";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CodeEditor, type LineProblem } from "@/components/ui/code-editor";
import { DefinitionChanges } from "@/components/tools/definition-changes";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";
import { TEXTAREA } from "@/components/servers/server-form";

const ANNOTATION_LABELS: Record<keyof ToolAnnotations, { label: string; hint: string }> = {
  readOnlyHint: { label: "Read-only", hint: "The tool does not modify its environment." },
  destructiveHint: { label: "Destructive", hint: "It may delete or overwrite (meaningful when not read-only)." },
  idempotentHint: { label: "Idempotent", hint: "Calling it twice with the same arguments has no extra effect." },
  openWorldHint: { label: "Open world", hint: "It reaches outside systems (the web, other services)." },
};

const NEW_SCHEMA = '{\n  "type": "object",\n  "properties": {},\n  "additionalProperties": false\n}\n';

function lineProblems(messages: string[] | undefined): LineProblem[] {
  return (messages ?? []).flatMap((message) => {
    const match = /^Line (\d+): (.*)$/s.exec(message);
    return match ? [{ line: Number(match[1]), message: match[2]! }] : [];
  });
}

type Refs = { environmentId: string; serverId: string; serverPath: string };

export function ToolForm({ refs, tool, editable, grants = 0 }: { refs: Refs; tool: ToolDetail | null; editable: boolean; grants?: number }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [shown, setShown] = useState<ToolDetail | null>(tool);
  const [formKey, setFormKey] = useState(0);
  const [schemaText, setSchemaText] = useState(tool ? JSON.stringify(tool.inputSchema, null, 2) : NEW_SCHEMA);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [theirs, setTheirs] = useState<ToolDetail | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);

  const annotations = shown?.annotations ?? DEFAULT_ANNOTATIONS;
  const schemaErrors = fieldErrors.inputSchema;

  function submit(form: FormData) {
    setNotice(undefined);
    const input = {
      ...refs,
      name: form.get("name"),
      title: form.get("title"),
      description: form.get("description"),
      inputSchema: schemaText,
      annotations: Object.fromEntries(Object.keys(ANNOTATION_LABELS).map((key) => [key, form.has(key)])),
      riskTier: form.get("riskTier"),
      requiresApproval: form.has("requiresApproval"),
      enabled: form.has("enabled"),
    };
    startTransition(async () => {
      const result = shown ? await updateToolAction({ ...input, toolId: shown.id, version: shown.version }) : await createToolAction(input);
      if (!result.ok) {
        setError(result.error);
        const grouped: Record<string, string[]> = {};
        for (const [key, messages] of Object.entries(result.fieldErrors ?? {})) grouped[key.split(".")[0]!] = [...(grouped[key.split(".")[0]!] ?? []), ...messages];
        setFieldErrors(grouped);
        setTheirs((result.current as ToolDetail | undefined) ?? null);
        return;
      }
      setError(undefined);
      setFieldErrors({});
      setTheirs(null);
      if (!shown) {
        router.push(`${refs.serverPath}/tools/${result.data.id}`);
        return;
      }
      setShown(result.data as ToolDetail);
      setNotice("Saved. The new definition is approved.");
      router.refresh();
    });
  }

  function loadTheirs(fresh: ToolDetail) {
    setShown(fresh);
    setSchemaText(JSON.stringify(fresh.inputSchema, null, 2));
    setFormKey((key) => key + 1);
    setTheirs(null);
    setError(undefined);
    setFieldErrors({});
  }

  return (
    <div className="space-y-4">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {shown?.changedSinceApproval ? (
        <Alert tone="warning" title="This tool's definition changed since it was approved">
          Its live definition differs from the approved one, so it stays out of published config until someone approves it.
          {shown.changesSinceApproval ? (
            <div className="mt-2 min-w-0 rounded border bg-background p-2 text-foreground">
              <DefinitionChanges changes={shown.changesSinceApproval} label="Changes since approval" />
            </div>
          ) : (
            <p className="mt-1">Its approval was recorded before Warden kept approved definitions, so only their hashes can be compared.</p>
          )}
          {editable ? (
            <div className="mt-2">
              <Button
                size="sm"
                variant="secondary"
                disabled={pending}
                onClick={() =>
                  startTransition(async () => {
                    const result = await approveToolDefinitionAction({ ...refs, toolId: shown.id, version: shown.version });
                    if (result.ok) {
                      setShown(result.data as ToolDetail);
                      setNotice("Definition approved.");
                    } else setError(result.error);
                    router.refresh();
                  })
                }
              >
                <CheckCircle2 className="h-4 w-4" aria-hidden /> Approve this definition
              </Button>
            </div>
          ) : null}
        </Alert>
      ) : null}
      {error ? (
        <Alert tone="error">
          {error}
          {theirs ? (
            <div className="mt-2 space-y-2 text-foreground" data-testid="their-values">
              <p className="font-medium">Their values:</p>
              <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
                <dt className="font-medium">Name</dt>
                <dd className="font-mono">{theirs.name}</dd>
                <dt className="font-medium">Title</dt>
                <dd>{theirs.title ?? "—"}</dd>
                <dt className="font-medium">Description</dt>
                <dd>{theirs.description ?? "—"}</dd>
                <dt className="font-medium">Risk tier</dt>
                <dd>{theirs.riskTier}</dd>
                <dt className="font-medium">Requires approval</dt>
                <dd>{theirs.requiresApproval ? "yes" : "no"}</dd>
                <dt className="font-medium">Enabled</dt>
                <dd>{theirs.enabled ? "yes" : "no"}</dd>
              </dl>
              <Button size="sm" variant="secondary" onClick={() => loadTheirs(theirs)}>
                Load their values
              </Button>
            </div>
          ) : null}
        </Alert>
      ) : null}
      <form key={formKey} onSubmit={handleSubmit(submit)} className="space-y-4" noValidate aria-label="Tool definition">
        <fieldset disabled={!editable} className="space-y-4">
          <div className="grid gap-4 md:grid-cols-2">
            <Field id="tool-name" label="Name" hint='1–128 letters, digits, "_", "-" or "."; unique on this server.' errors={fieldErrors.name}>
              <Input id="tool-name" name="name" defaultValue={shown?.name ?? ""} className="font-mono" autoFocus={!shown} aria-invalid={Boolean(fieldErrors.name)} />
            </Field>
            <Field id="tool-title" label="Title (optional)" errors={fieldErrors.title}>
              <Input id="tool-title" name="title" defaultValue={shown?.title ?? ""} />
            </Field>
          </div>
          <Field id="tool-description" label="Description (optional)" hint="What agents read about the tool. Changing it changes the approved definition." errors={fieldErrors.description}>
            <textarea id="tool-description" name="description" rows={3} defaultValue={shown?.description ?? ""} className={TEXTAREA} />
          </Field>
          <div className="space-y-1.5">
            <span id="tool-input-schema-label" className="block text-sm font-medium">
              Input schema
            </span>
            <p id="tool-input-schema-hint" className="text-xs text-muted-foreground">
              A JSON Schema (2020-12 by default) whose root is <code>{'"type": "object"'}</code>. Tab moves to the next field.
            </p>
            <CodeEditor
              id="tool-input-schema"
              value={schemaText}
              onChange={setSchemaText}
              readOnly={!editable}
              labelledBy="tool-input-schema-label"
              describedBy={schemaErrors?.length ? "tool-input-schema-errors" : "tool-input-schema-hint"}
              invalid={Boolean(schemaErrors?.length)}
              problems={lineProblems(schemaErrors)}
            />
            {schemaErrors?.length ? (
              <ul id="tool-input-schema-errors" className="space-y-0.5 text-xs text-destructive" role="alert">
                {schemaErrors.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            ) : null}
          </div>
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium">MCP annotations (hints agents see)</legend>
            <div className="grid gap-2 md:grid-cols-2">
              {(Object.keys(ANNOTATION_LABELS) as (keyof ToolAnnotations)[]).map((key) => (
                <label key={key} className="flex items-start gap-2 text-sm">
                  <input type="checkbox" name={key} defaultChecked={annotations[key]} className="mt-0.5 h-4 w-4" />
                  <span>
                    {ANNOTATION_LABELS[key].label} <code className="text-xs text-muted-foreground">{key}</code>
                    <span className="block text-xs text-muted-foreground">{ANNOTATION_LABELS[key].hint}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          <div className="grid gap-4 md:grid-cols-3">
            <Field id="tool-risk" label="Risk tier" errors={fieldErrors.riskTier}>
              <Select id="tool-risk" name="riskTier" defaultValue={shown?.riskTier ?? "LOW"}>
                {RISK_TIERS.map((tier) => (
                  <option key={tier} value={tier}>
                    {tier}
                  </option>
                ))}
              </Select>
            </Field>
            <label className="flex items-center gap-2 self-end pb-2 text-sm">
              <input type="checkbox" name="requiresApproval" defaultChecked={shown?.requiresApproval ?? false} className="h-4 w-4" />
              Requires human approval
            </label>
            <label className="flex items-center gap-2 self-end pb-2 text-sm">
              <input type="checkbox" name="enabled" defaultChecked={shown?.enabled ?? true} className="h-4 w-4" />
              Enabled
            </label>
          </div>
        </fieldset>
        {editable ? (
          <div className="flex justify-between gap-2">
            {shown ? (
              <Button variant="secondary" className="text-destructive" onClick={() => setConfirmingDelete(true)}>
                <Trash2 className="h-4 w-4" aria-hidden /> Delete tool
              </Button>
            ) : (
              <span />
            )}
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : shown ? "Save tool" : "Add tool"}
            </Button>
          </div>
        ) : null}
      </form>
      {shown ? <ListedFields tool={shown} /> : null}
      {shown ? (
        <ConfirmDialog
          open={confirmingDelete}
          onOpenChange={setConfirmingDelete}
          title={`Delete ${shown.name}?`}
          description={
            <>
              This deletes the tool <strong className="font-mono">{shown.name}</strong> and its {grants} grant{grants === 1 ? "" : "s"} to roles. This cannot be undone.
            </>
          }
          confirmLabel="Delete tool"
          pending={pending}
          onConfirm={() =>
            startTransition(async () => {
              const result = await deleteToolAction({ ...refs, toolId: shown.id, version: shown.version });
              setConfirmingDelete(false);
              if (!result.ok) {
                setError(result.error);
                setTheirs((result.current as ToolDetail | undefined) ?? null);
                return;
              }
              router.push(refs.serverPath);
            })
          }
        />
      ) : null}
    </div>
  );
}

/** The parts of a tool's MCP definition that only its server sets (shown, approved with it, not edited here). */
function ListedFields({ tool }: { tool: ToolDetail }) {
  const fields = { outputSchema: tool.outputSchema, execution: tool.execution, icons: tool.icons, _meta: tool.meta };
  const present = Object.entries(fields).filter(([, value]) => value != null);
  if (!present.length) return null;
  return (
    <section aria-labelledby="listed-fields-heading" className="min-w-0 space-y-2 rounded-lg border bg-surface p-4">
      <h2 id="listed-fields-heading" className="text-sm font-medium">
        Also in its definition
      </h2>
      <p className="text-xs text-muted-foreground">Set by the server when it lists the tool; approving the definition approves these too.</p>
      <dl className="space-y-2">
        {present.map(([name, value]) => (
          <div key={name} className="min-w-0">
            <dt className="font-mono text-xs font-medium">{name}</dt>
            <dd>
              <pre className="max-h-64 overflow-auto rounded border bg-muted/40 p-2 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]">{JSON.stringify(value, null, 2)}</pre>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
