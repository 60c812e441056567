"use client";

import { CheckCircle2, Trash2 } from "lucide-react";
import { DEFAULT_ANNOTATIONS, RISK_TIERS } from "@/lib/tools/schemas";
import type { ToolDetail } from "@/lib/tools/tools";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CodeEditor, type LineProblem } from "@/components/ui/code-editor";
import { DefinitionChanges } from "@/components/tools/definition-changes";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";
import { TEXTAREA } from "@/components/servers/server-form";
import { ANNOTATION_KEYS, ANNOTATION_LABELS } from "./tool-annotations";
import { useToolForm, type ToolFormRefs } from "./use-tool-form";

function lineProblems(messages: string[] | undefined): LineProblem[] {
  return (messages ?? []).flatMap((message) => {
    const match = /^Line (\d+): (.*)$/s.exec(message);
    return match ? [{ line: Number(match[1]), message: match[2]! }] : [];
  });
}

export function ToolForm({ refs, tool, editable, grants = 0 }: { refs: ToolFormRefs; tool: ToolDetail | null; editable: boolean; grants?: number }) {
  const form = useToolForm({ refs, tool });
  const { pending, shown, error, notice, fieldErrors, theirs } = form;
  const annotations = shown?.annotations ?? DEFAULT_ANNOTATIONS;
  const schemaErrors = fieldErrors.inputSchema;

  return (
    <div className="space-y-4">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {shown?.changedSinceApproval ? <ChangedSinceApproval tool={shown} editable={editable} pending={pending} onApprove={form.approveDefinition} /> : null}
      {error ? (
        <Alert tone="error">
          {error}
          {theirs ? <TheirValues theirs={theirs} onLoad={() => form.loadTheirs(theirs)} /> : null}
        </Alert>
      ) : null}
      <form key={form.formKey} onSubmit={handleSubmit(form.submit)} className="space-y-4" noValidate aria-label="Tool definition">
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
              value={form.schemaText}
              onChange={form.setSchemaText}
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
              {ANNOTATION_KEYS.map((key) => (
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
              <Button variant="secondary" className="text-destructive" onClick={() => form.setConfirmingDelete(true)}>
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
          open={form.confirmingDelete}
          onOpenChange={form.setConfirmingDelete}
          title={`Delete ${shown.name}?`}
          description={
            <>
              This deletes the tool <strong className="font-mono">{shown.name}</strong> and its {grants} grant{grants === 1 ? "" : "s"} to roles. This cannot be undone.
            </>
          }
          confirmLabel="Delete tool"
          pending={pending}
          onConfirm={form.deleteTool}
        />
      ) : null}
    </div>
  );
}

/** A drifted tool: what changed since its approval, and the button that approves the new definition. */
function ChangedSinceApproval({ tool, editable, pending, onApprove }: { tool: ToolDetail; editable: boolean; pending: boolean; onApprove: () => void }) {
  return (
    <Alert tone="warning" title="This tool's definition changed since it was approved">
      Its live definition differs from the approved one, so it stays out of published config until someone approves it.
      {tool.changesSinceApproval ? (
        <div className="mt-2 min-w-0 rounded border bg-background p-2 text-foreground">
          <DefinitionChanges changes={tool.changesSinceApproval} label="Changes since approval" />
        </div>
      ) : (
        <p className="mt-1">Its approval was recorded before Warden kept approved definitions, so only their hashes can be compared.</p>
      )}
      {editable ? (
        <div className="mt-2">
          <Button size="sm" variant="secondary" disabled={pending} onClick={onApprove}>
            <CheckCircle2 className="h-4 w-4" aria-hidden /> Approve this definition
          </Button>
        </div>
      ) : null}
    </Alert>
  );
}

/** After a stale save: what the other admin saved, and a way to start again from it. */
function TheirValues({ theirs, onLoad }: { theirs: ToolDetail; onLoad: () => void }) {
  return (
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
      <Button size="sm" variant="secondary" onClick={onLoad}>
        Load their values
      </Button>
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
