"use client";

import { ShieldCheck } from "lucide-react";
import { useSearchParams } from "next/navigation";
import { useState, useTransition } from "react";
import { verifyAuditChainAction } from "@/actions/audit";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** "Is this trail intact?": re-computes every hash in the time range shown and names the first event that fails. */
export function VerifyChain({ environment }: { environment: string }) {
  const params = useSearchParams();
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<{ tone: "success" | "error"; title: string; body?: string } | null>(null);

  function verify() {
    const filters = Object.fromEntries([...params.entries()].filter(([key]) => ["scope", "range", "from", "to"].includes(key)));
    startTransition(async () => {
      const outcome = await verifyAuditChainAction({ environment, filters });
      if (!outcome.ok) return setResult({ tone: "error", title: outcome.error });
      const verified = outcome.data;
      setResult(
        verified.ok
          ? { tone: "success", title: `Intact: ${verified.checked.toLocaleString("en")} events of ${verified.scope} verified in this time range.` }
          : {
              tone: "error",
              title: `Broken: event #${verified.broken.seq} (${verified.broken.ts}) fails verification after ${verified.checked.toLocaleString("en")} good events.`,
              body: `${verified.broken.problem} Event id ${verified.broken.id}.`,
            },
      );
    });
  }

  return (
    <div className="space-y-2">
      <Button variant="secondary" disabled={pending} onClick={verify}>
        <ShieldCheck className="h-4 w-4" aria-hidden /> {pending ? "Verifying…" : "Verify integrity"}
      </Button>
      {result ? (
        <Alert tone={result.tone} title={result.title}>
          {result.body}
        </Alert>
      ) : null}
    </div>
  );
}
