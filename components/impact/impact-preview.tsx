"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ImpactProgress, ImpactReport } from "@/lib/impact/impact";
import { testAccessHref } from "@/lib/impact/links";
import type { FlipGroup } from "@/lib/impact/replay";
import { DECISION_REASON_LABELS } from "@/lib/policy/reasons";
import type { DecisionReason } from "@/sdk/src/contract/policy";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";

const WINDOWS = [1, 7, 14, 30] as const;

type ApiReport = ImpactReport & { summary: string | null };
type State =
  | { kind: "running"; progress: ImpactProgress | null; started: number }
  | { kind: "done"; report: ApiReport }
  | { kind: "cancelled" }
  | { kind: "error"; message: string };

const number = (value: number) => value.toLocaleString("en-US");
const plural = (count: number, one: string, many = `${one}s`) => `${number(count)} ${count === 1 ? one : many}`;

/**
 * Replays the recent window's tool calls against the live config and the
 * draft (or an import or promotion, as published after it), streaming progress from POST /api/v1/decisions/impact, and shows who
 * would lose and who would gain access. Runs when shown; cancellable.
 */
export type ImpactSource = { kind: "file"; format: "json" | "yaml"; text: string } | { kind: "promotion"; from: string };

export function ImpactPreview({ environment, source }: { environment: string; source?: ImpactSource }) {
  const [days, setDays] = useState<number>(7);
  // It starts at once: the page asks for it by showing it (a new draft remounts it).
  const [state, setState] = useState<State>(() => ({ kind: "running", progress: null, started: Date.now() }));
  const controller = useRef<AbortController | null>(null);
  // The question is fixed for the life of the component (a new plan or draft remounts it), whatever the parent re-renders.
  const question = useRef(source);

  // Streams one replay into the state; the caller has shown it as running.
  const stream = useCallback(
    async (windowDays: number) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      try {
        const response = await fetch("/api/v1/decisions/impact", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
          body: JSON.stringify({ environment, days: windowDays, ...(question.current ? { source: question.current } : {}) }),
          signal: abort.signal,
        });
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => null)) as { error?: string } | null;
          setState({ kind: "error", message: body?.error ?? `The preview failed (HTTP ${response.status}).` });
          return;
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          let newline: number;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = JSON.parse(buffer.slice(0, newline)) as { type: "progress" } & ImpactProgress | { type: "report"; report: ApiReport } | { type: "error"; error: string };
            buffer = buffer.slice(newline + 1);
            if (line.type === "progress") setState((previous) => ({ kind: "running", progress: line, started: previous.kind === "running" ? previous.started : Date.now() }));
            else if (line.type === "report") setState({ kind: "done", report: line.report });
            else setState({ kind: "error", message: line.error });
          }
        }
      } catch (error) {
        if (abort.signal.aborted) setState({ kind: "cancelled" });
        else setState({ kind: "error", message: error instanceof Error ? `The preview failed: ${error.message}` : "The preview failed." });
      }
    },
    [environment],
  );

  const run = (windowDays: number) => {
    setState({ kind: "running", progress: null, started: Date.now() });
    void stream(windowDays);
  };

  // Started from a timer so a mount that is immediately undone (Strict Mode) asks nothing; an unmounted page stops asking.
  useEffect(() => {
    const timer = setTimeout(() => void stream(7), 0);
    return () => {
      clearTimeout(timer);
      controller.current?.abort();
    };
  }, [stream]);

  return (
    <section aria-labelledby="impact-heading" className="space-y-3 rounded-md border p-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id="impact-heading" className="font-medium">
          Impact on recent traffic
        </h3>
        <label className="flex items-center gap-2 text-sm">
          <span className="text-muted-foreground">Window</span>
          <select
            aria-label="Traffic window"
            className="rounded-md border bg-surface px-2 py-1 text-sm"
            value={days}
            onChange={(event) => {
              setDays(Number(event.target.value));
              run(Number(event.target.value));
            }}
          >
            {WINDOWS.map((value) => (
              <option key={value} value={value}>
                last {plural(value, "day")}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.kind === "running" ? (
        <div role="status" aria-live="polite" className="flex flex-wrap items-center gap-3 text-sm">
          <progress className="h-2 w-40" aria-label="Replay progress" max={2} value={state.progress?.stage === "deciding" ? 1.5 : undefined} />
          <span>
            {state.progress?.stage === "deciding"
              ? `Step 2 of 2: deciding ${plural(state.progress.groups, "distinct caller input", "distinct caller inputs")} (${plural(state.progress.calls, "call")}) under both configs…`
              : `Step 1 of 2: reading and grouping the calls of the last ${plural(days, "day")}…`}{" "}
            <Elapsed since={state.started} />
          </span>
          <Button size="sm" variant="secondary" onClick={() => controller.current?.abort()}>
            Cancel
          </Button>
        </div>
      ) : null}
      {state.kind === "cancelled" ? (
        <div className="flex items-center gap-3 text-sm text-muted-foreground">
          The preview was cancelled.
          <Button size="sm" variant="secondary" onClick={() => run(days)}>
            Run it again
          </Button>
        </div>
      ) : null}
      {state.kind === "error" ? (
        <Alert tone="error">
          {state.message}{" "}
          <button type="button" className="underline" onClick={() => run(days)}>
            Try again
          </button>
        </Alert>
      ) : null}
      {state.kind === "done" ? <ImpactResult environment={environment} report={state.report} /> : null}
    </section>
  );
}

function ImpactResult({ environment, report }: { environment: string; report: ApiReport }) {
  const { traffic } = report;
  const against = report.live ? `live version v${report.live.version}` : "nothing published (every call denied)";
  return (
    <div className="space-y-4 text-sm">
      <p className="text-muted-foreground">
        Replayed {plural(traffic.replayedCalls, "call")} of the last {plural(report.window.days, "day")} against {against} and {report.candidate.label}.
        {traffic.notReplayableCalls > 0
          ? ` ${plural(traffic.notReplayableCalls, "call was", "calls were")} reported without decision inputs (an older SDK) and ${traffic.notReplayableCalls === 1 ? "is" : "are"} not replayable: not counted below.`
          : ""}
      </p>
      {report.losesAccess.length === 0 && report.gainsAccess.length === 0 ? (
        <Alert tone="success">
          {traffic.replayedCalls === 0 ? "No replayable call in the window, so no call in the window would change." : "No call in the window would change."}
        </Alert>
      ) : null}
      {report.losesAccess.length ? (
        <FlipSection
          environment={environment}
          id="loses-access"
          title="Loses access"
          tone="text-destructive"
          summary={`${report.summary ?? ""}: ${plural(report.loses.subjects, "user")} through ${plural(report.loses.clients, "client")}, ${plural(report.loses.tools, "tool")}.`}
          groups={report.losesAccess}
        />
      ) : null}
      {report.gainsAccess.length ? (
        <FlipSection
          environment={environment}
          id="gains-access"
          title="Gains access"
          tone="text-success"
          summary={`${plural(report.gains.calls, "call")} by ${plural(report.gains.subjects, "user")} refused in the window would now be allowed.`}
          groups={report.gainsAccess}
        />
      ) : null}
    </div>
  );
}

function FlipSection({ environment, id, title, tone, summary, groups }: { environment: string; id: string; title: string; tone: string; summary: string; groups: FlipGroup[] }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-2">
      <h4 id={`${id}-heading`} className={`font-semibold ${tone}`}>
        {title}
      </h4>
      <p>{summary}</p>
      <ul className="space-y-3">
        {groups.map((group) => (
          <li key={`${group.server}/${group.tool}/${group.newReason}`} className="rounded-md border p-3" aria-label={`${title}: ${group.server}/${group.tool}`}>
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <span className="font-mono">
                {group.server}/{group.tool}
              </span>
              <span className="text-muted-foreground">
                {plural(group.calls, "call")}, last <RelativeTime iso={group.lastSeen} />
              </span>
            </div>
            <p className="mt-1">
              Now: {DECISION_REASON_LABELS[group.newReason as DecisionReason] ?? group.newReason} <code className="text-xs">({group.newReason})</code>
            </p>
            <table className="mt-2 w-full text-left text-xs">
              <thead className="text-muted-foreground">
                <tr>
                  <th className="py-1 font-medium">User</th>
                  <th className="py-1 font-medium">Client</th>
                  <th className="py-1 text-right font-medium">Calls</th>
                  <th className="py-1 font-medium">
                    <span className="sr-only">Test access</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {group.entries.map((entry) => (
                  <tr key={`${entry.subject}\u0000${entry.clientId ?? ""}`} className="border-t">
                    <td className="py-1 break-all">{entry.subject}</td>
                    <td className="py-1 break-all">{entry.clientId ?? "(none)"}</td>
                    <td className="py-1 text-right tabular-nums">{number(entry.calls)}</td>
                    <td className="py-1 text-right">
                      <Link className="text-primary hover:underline" href={testAccessHref(environment, { ...entry, server: group.server, tool: group.tool })}>
                        Test access
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {group.moreEntries > 0 ? <p className="mt-1 text-muted-foreground">and {plural(group.moreEntries, "more caller")}.</p> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Seconds since the replay started, so a long one visibly moves. */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(since);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.floor((now - since) / 1_000));
  return seconds >= 1 ? <span className="tabular-nums text-muted-foreground">({seconds} s)</span> : null;
}
