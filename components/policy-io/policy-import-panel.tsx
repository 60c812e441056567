"use client";

import { FileUp, Download } from "lucide-react";
import { useRouter } from "next/navigation";
import { useId, useState, useTransition, type ChangeEvent } from "react";
import {
  applyPolicyFileAction,
  applyPromotionAction,
  previewPolicyFileAction,
  previewPromotionAction,
  type PolicyImportOutcome,
} from "@/actions/policy-io";
import type { ActionResult } from "@/lib/actions/run-admin-action";
import type { PolicyProblem } from "@/lib/policy-io/parse";
import { POLICY_KINDS, type PolicyPlan } from "@/lib/policy-io/plan-shape";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CodeEditor } from "@/components/ui/code-editor";
import { ConfirmDialog } from "@/components/ui/dialog";
import { countDeletions, PolicyPlanView } from "./policy-plan-view";
import { ImpactPreview, type ImpactSource } from "@/components/impact/impact-preview";

type Format = "json" | "yaml";
type Feedback = { tone: "success" | "error" | "warning"; message: string };

// Matches the server's limit, so a too-large file is refused before it is sent.
const MAX_FILE_BYTES = 2_000_000;

function summarize(plan: PolicyPlan): string {
  const parts = POLICY_KINDS.flatMap((kind) => {
    const changed = plan[kind].create.length + plan[kind].update.length + plan[kind].delete.length;
    return changed ? [`${changed} ${changed === 1 ? kind.slice(0, -1) : kind}`] : [];
  });
  return parts.length ? parts.join(", ") : "nothing";
}

/**
 * Shared by the file import and the promotion: the previewed plan, and an
 * apply that asks first when it deletes anything. A stale plan (the
 * environment changed meanwhile) is replaced by the fresh one to review.
 */
function usePlanFlow(environmentName: string) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [plan, setPlan] = useState<PolicyPlan | null>(null);
  const [problems, setProblems] = useState<PolicyProblem[]>([]);
  const [feedback, setFeedback] = useState<Feedback | null>(null);

  function handle(result: ActionResult<PolicyImportOutcome>) {
    if (!result.ok) {
      setFeedback({ tone: "error", message: result.error });
      return;
    }
    const outcome = result.data;
    setProblems(outcome.kind === "invalid" ? outcome.problems : []);
    if (outcome.kind === "invalid") {
      setPlan(null);
      setFeedback({ tone: "error", message: `The file has ${outcome.problems.length === 1 ? "1 problem" : `${outcome.problems.length} problems`}; nothing was changed.` });
    } else if (outcome.kind === "plan") {
      setPlan(outcome.plan);
      setFeedback(null);
    } else if (outcome.kind === "stale") {
      setPlan(outcome.plan);
      setFeedback({ tone: "warning", message: outcome.message });
    } else {
      setPlan(null);
      setFeedback({ tone: "success", message: `Applied to ${environmentName}: ${summarize(outcome.plan)} changed. Publish from the Config page to send it to MCP servers.` });
      router.refresh();
    }
  }

  return {
    pending,
    plan,
    problems,
    feedback,
    run: (action: () => Promise<ActionResult<PolicyImportOutcome>>) => startTransition(async () => handle(await action())),
    reset: () => {
      setPlan(null);
      setProblems([]);
      setFeedback(null);
    },
    fail: (message: string) => {
      setPlan(null);
      setProblems([]);
      setFeedback({ tone: "error", message });
    },
  };
}

function PlanAndApply({
  plan,
  label,
  applyLabel,
  environmentName,
  pending,
  onApply,
  impact,
}: {
  plan: PolicyPlan;
  label: string;
  applyLabel: string;
  environmentName: string;
  pending: boolean;
  onApply: () => void;
  /** Who would lose or gain access once this is applied and published, from recent traffic. */
  impact?: { environment: string; source: ImpactSource };
}) {
  const [confirming, setConfirming] = useState(false);
  const deletions = countDeletions(plan);
  const empty = summarize(plan) === "nothing";
  return (
    <div className="space-y-3">
      <PolicyPlanView plan={plan} label={label} />
      {impact && !empty ? <ImpactPreview key={plan.hash} environment={impact.environment} source={impact.source} /> : null}
      {empty ? null : (
        <Button variant={deletions ? "destructive" : "primary"} disabled={pending} onClick={() => (deletions ? setConfirming(true) : onApply())}>
          {pending ? "Applying…" : applyLabel}
        </Button>
      )}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete ${deletions === 1 ? "1 object" : `${deletions} objects`} in ${environmentName}?`}
        description="Everything marked for deletion in the preview goes, with the grants that depend on it. Published config is unchanged until you publish again."
        confirmLabel="Apply and delete"
        pending={pending}
        onConfirm={() => {
          setConfirming(false);
          onApply();
        }}
      />
    </div>
  );
}

function FeedbackAlert({ feedback }: { feedback: Feedback | null }) {
  return feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null;
}

export function PolicyImportPanel({ environment, environmentName }: { environment: string; environmentName: string }) {
  const ids = useId();
  const [format, setFormat] = useState<Format>("yaml");
  const [text, setText] = useState("");
  const [loading, setLoading] = useState(false);
  const flow = usePlanFlow(environmentName);

  function replaceText(next: string, nextFormat: Format) {
    setFormat(nextFormat);
    setText(next);
    flow.reset();
  }

  async function loadCurrent() {
    setLoading(true);
    try {
      const response = await fetch(`/api/policy/${environment}?format=${format}`, { cache: "no-store" });
      if (!response.ok) throw new Error(((await response.json().catch(() => null)) as { error?: string } | null)?.error ?? `HTTP ${response.status}`);
      replaceText(await response.text(), format);
    } catch (error) {
      flow.fail(`Could not load the current policy: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setLoading(false);
    }
  }

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      flow.fail(`${file.name} is too large: policy files must be under 2 MB.`);
      return;
    }
    const content = await file.text();
    const byName = /\.json$/i.test(file.name) ? "json" : /\.ya?ml$/i.test(file.name) ? "yaml" : null;
    replaceText(content, byName ?? (content.trimStart().startsWith("{") ? "json" : "yaml"));
  }

  const editorLabel = `${ids}-label`;
  const problemsId = `${ids}-problems`;
  return (
    <section aria-labelledby={`${ids}-heading`} className="space-y-4 rounded-lg border bg-surface p-5">
      <div>
        <h2 id={`${ids}-heading`} className="font-medium">
          Import a policy file
        </h2>
        <p className="mt-1 text-sm text-muted-foreground">
          {environmentName} is made to match the file exactly: what the file lacks is deleted. Preview first; nothing changes until you apply.
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <div className="flex items-center gap-2 text-sm">
          <label htmlFor={`${ids}-format`}>Format</label>
          <select
            id={`${ids}-format`}
            className="h-9 rounded-md border bg-surface px-2"
            value={format}
            onChange={(event) => {
              setFormat(event.target.value as Format);
              flow.reset();
            }}
          >
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </select>
        </div>
        <label className="inline-flex h-9 cursor-pointer items-center gap-2 rounded-md border bg-surface px-4 text-sm font-medium hover:bg-muted focus-within:outline-2 focus-within:outline-primary">
          <FileUp className="h-4 w-4" aria-hidden /> Upload a file
          <input type="file" accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml" className="sr-only" onChange={upload} />
        </label>
        <Button variant="secondary" disabled={loading} onClick={loadCurrent}>
          <Download className="h-4 w-4" aria-hidden /> {loading ? "Loading…" : `Start from ${environmentName}'s current policy`}
        </Button>
      </div>
      <div className="space-y-1">
        <span id={editorLabel} className="text-sm font-medium">
          Policy file ({format === "json" ? "JSON" : "YAML"})
        </span>
        <CodeEditor
          id={`${ids}-editor`}
          value={text}
          onChange={(next) => {
            setText(next);
            if (flow.plan || flow.problems.length) flow.reset();
          }}
          language={format === "json" ? "json" : "text"}
          labelledBy={editorLabel}
          describedBy={flow.problems.length ? problemsId : undefined}
          invalid={flow.problems.length > 0}
          problems={flow.problems}
          className="max-h-[28rem] overflow-auto"
        />
      </div>
      <FeedbackAlert feedback={flow.feedback} />
      {flow.problems.length ? (
        <table id={problemsId} aria-label="Problems in the file" className="w-full text-left text-sm">
          <thead className="text-muted-foreground">
            <tr>
              <th className="py-1 pr-4 font-medium">Line</th>
              <th className="py-1 pr-4 font-medium">Where</th>
              <th className="py-1 font-medium">Problem</th>
            </tr>
          </thead>
          <tbody>
            {flow.problems.map((problem, index) => (
              <tr key={index} className="border-t align-top">
                <td className="py-1 pr-4 tabular-nums">
                  {problem.line}
                  {problem.column ? `:${problem.column}` : ""}
                </td>
                <td className="py-1 pr-4">
                  <code>{problem.path || "(file)"}</code>
                </td>
                <td className="py-1">{problem.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Button disabled={flow.pending || !text.trim()} onClick={() => flow.run(() => previewPolicyFileAction({ environment, format, text }))}>
        {flow.pending && !flow.plan ? "Checking…" : "Preview import"}
      </Button>
      {flow.plan ? (
        <PlanAndApply
          plan={flow.plan}
          label="Import preview"
          applyLabel={`Apply to ${environmentName}`}
          environmentName={environmentName}
          pending={flow.pending}
          onApply={() => flow.run(() => applyPolicyFileAction({ environment, format, text, planHash: flow.plan!.hash }))}
          impact={{ environment, source: { kind: "file", format, text } }}
        />
      ) : null}
    </section>
  );
}

export function PromotionPanel({
  environment,
  environmentName,
  sources,
}: {
  environment: string;
  environmentName: string;
  sources: { key: string; name: string }[];
}) {
  const ids = useId();
  const [from, setFrom] = useState(sources[0]?.key ?? "");
  const flow = usePlanFlow(environmentName);
  const sourceName = sources.find((source) => source.key === from)?.name ?? from;
  return (
    <section aria-labelledby={`${ids}-heading`} className="space-y-4 rounded-lg border bg-surface p-5">
      <div>
        <h2 id={`${ids}-heading`} className="font-medium">
          Promote from another environment
        </h2>
        <p className="mt-1 text-sm text-muted-foreground">
          Copies another environment&apos;s servers, tools, scopes, roles and grants into {environmentName}, with the same preview as a file import.
        </p>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex items-center gap-2 text-sm">
          <label htmlFor={`${ids}-from`}>Promote from</label>
          <select
            id={`${ids}-from`}
            className="h-9 rounded-md border bg-surface px-2"
            value={from}
            onChange={(event) => {
              setFrom(event.target.value);
              flow.reset();
            }}
          >
            {sources.map((source) => (
              <option key={source.key} value={source.key}>
                {source.name}
              </option>
            ))}
          </select>
        </div>
        <Button disabled={flow.pending || !from} onClick={() => flow.run(() => previewPromotionAction({ environment, from }))}>
          {flow.pending && !flow.plan ? "Comparing…" : `Preview promotion from ${sourceName}`}
        </Button>
      </div>
      <FeedbackAlert feedback={flow.feedback} />
      {flow.plan ? (
        <PlanAndApply
          plan={flow.plan}
          label="Promotion preview"
          applyLabel={`Promote ${sourceName} to ${environmentName}`}
          environmentName={environmentName}
          pending={flow.pending}
          onApply={() => flow.run(() => applyPromotionAction({ environment, from, planHash: flow.plan!.hash }))}
          impact={{ environment, source: { kind: "promotion", from } }}
        />
      ) : null}
    </section>
  );
}
