"use client";

import { Check, Clock, X } from "lucide-react";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { listApprovals } from "@/lib/approvals/approval-requests";
import { decideApprovalAction } from "@/actions/approvals";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";

type ApprovalRow = Awaited<ReturnType<typeof listApprovals>>["rows"][number];

const REFRESH_MS = 3_000;

const STATUS_TONE = { PENDING: "warning", APPROVED: "success", CONSUMED: "primary", DENIED: "danger", EXPIRED: "neutral" } as const;
const STATUS_WORD = { PENDING: "Waiting", APPROVED: "Approved", CONSUMED: "Approved and used", DENIED: "Denied", EXPIRED: "Expired (denied)" } as const;

/** Re-renders every second, so each countdown stays honest between refreshes. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function timeLeft(expiresAt: string, now: number): string {
  const seconds = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1_000));
  if (seconds === 0) return "expiring";
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${String(seconds % 60).padStart(2, "0")} s left` : `${seconds} s left`;
}

/** The live queue: new requests appear within a few seconds, and each shows what it would run and for whom. */
export function ApprovalQueue({ environment, rows, live, canDecide, approverRole }: { environment: string; rows: ApprovalRow[]; live: boolean; canDecide: boolean; approverRole: string }) {
  const router = useRouter();
  const now = useNow();
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => router.refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, router]);

  // The decided card leaves the live queue with the refresh, so what was decided is said above the queue, where it stays.
  const [lastDecision, setLastDecision] = useState<string | null>(null);
  const decided = (message: string) => {
    setLastDecision(message);
    router.refresh();
  };
  const confirmation = lastDecision ? (
    <Alert tone="success">
      {lastDecision}
    </Alert>
  ) : null;

  if (rows.length === 0) {
    return (
      <div className="space-y-4">
        {confirmation}
        <p className="rounded-lg border bg-surface p-6 text-sm text-muted-foreground">{live ? "Nothing is waiting for a decision. New requests appear here within a few seconds." : "No requests with this status."}</p>
      </div>
    );
  }
  return (
    <div className="space-y-4">
      {confirmation}
      {!canDecide ? <Alert tone="info">Only {approverRole === "OWNER" ? "owners" : "admins and owners"} may decide approval requests in this environment; you can follow the queue.</Alert> : null}
      <ul className="space-y-4" aria-label="Approval requests">
        {rows.map((row) => (
          <ApprovalCard key={row.id} environment={environment} row={row} now={now} canDecide={canDecide} onDecided={decided} />
        ))}
      </ul>
    </div>
  );
}

function ApprovalCard({ environment, row, now, canDecide, onDecided }: { environment: string; row: ApprovalRow; now: number; canDecide: boolean; onDecided: (message: string) => void }) {
  const [note, setNote] = useState("");
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const open = row.status === "PENDING" && Date.parse(row.expiresAt) > now;

  function decide(decision: "approve" | "deny") {
    startTransition(async () => {
      const result = await decideApprovalAction({ environment, id: row.id, decision, note });
      if (!result.ok) {
        setError(result.fieldErrors?.note?.[0] ? `${result.error} ${result.fieldErrors.note[0]}.` : result.error);
        return;
      }
      setError(null);
      const call = `${row.server}/${row.tool} for ${row.subject}`;
      onDecided(decision === "approve" ? `Approved ${call}: the call runs now.` : `Denied ${call}.`);
    });
  }

  return (
    <li className="rounded-lg border bg-surface p-5" aria-label={`${row.server}/${row.tool} for ${row.subject}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 className="font-mono text-base font-semibold">
            {row.server}/{row.tool}
          </h2>
          <p className="text-sm text-muted-foreground">
            for <span className="font-medium text-foreground">{row.subject}</span>
            {row.clientId ? (
              <>
                {" "}via <span className="break-all font-medium text-foreground">{row.clientId}</span>
              </>
            ) : null}
            {row.configVersion ? ` · config v${row.configVersion}` : ""}
          </p>
        </div>
        <div className="flex items-center gap-2">
          <Badge tone={STATUS_TONE[row.status]}>{STATUS_WORD[row.status]}</Badge>
          {row.status === "PENDING" ? (
            <span className="inline-flex items-center gap-1 text-sm tabular-nums" title={`Expires at ${new Date(row.expiresAt).toLocaleString()}`}>
              <Clock className="h-4 w-4" aria-hidden /> {timeLeft(row.expiresAt, now)}
            </span>
          ) : null}
        </div>
      </div>
      {row.reason ? <p className="mt-3 text-sm">Reason: {row.reason}</p> : null}
      <div className="mt-3">
        <p className="text-xs font-medium uppercase text-muted-foreground">Arguments (secrets redacted)</p>
        <pre className="mt-1 max-h-64 overflow-auto rounded bg-muted p-3 text-xs">{JSON.stringify(row.argumentsPreview ?? {}, null, 2)}</pre>
        <p className="mt-1 break-all font-mono text-xs text-muted-foreground">
          digest {row.argumentsDigest}
          {row.requestId ? ` · request ${row.requestId}` : ""} · requested {new Date(row.createdAt).toLocaleTimeString()}
        </p>
      </div>
      {row.decidedAt ? (
        <p className="mt-3 text-sm">
          {row.status === "DENIED" ? "Denied" : "Approved"} by {row.decidedBy ?? "a removed admin"} at {new Date(row.decidedAt).toLocaleTimeString()}
          {row.decisionNote ? `: “${row.decisionNote}”` : ""}
          {row.consumedAt ? ` · used at ${new Date(row.consumedAt).toLocaleTimeString()}` : ""}
        </p>
      ) : null}
      {error ? (
        <Alert tone="error" className="mt-3">
          {error}
        </Alert>
      ) : null}
      {open && canDecide ? (
        <div className="mt-4 flex flex-wrap items-end gap-3">
          <label className="flex min-w-64 flex-1 flex-col gap-1 text-sm">
            Comment <span className="text-xs text-muted-foreground">(shown to the agent&apos;s user; required to deny)</span>
            <input className="h-9 rounded-md border bg-background px-3 text-sm" value={note} onChange={(event) => setNote(event.target.value)} maxLength={1_000} disabled={pending} />
          </label>
          <Button type="button" onClick={() => decide("approve")} disabled={pending}>
            <Check className="h-4 w-4" aria-hidden /> Approve
          </Button>
          <Button type="button" variant="destructive" onClick={() => decide("deny")} disabled={pending}>
            <X className="h-4 w-4" aria-hidden /> Deny
          </Button>
        </div>
      ) : null}
    </li>
  );
}
