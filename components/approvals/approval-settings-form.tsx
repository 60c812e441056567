"use client";

import { Settings2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updateApprovalSettingsAction } from "@/actions/approvals";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

type Settings = { approverRole: string; approvalRiskTier: string | null; approvalTtlSeconds: number };

/** Owner-only: who decides, which risk tiers always need a human, and how long a request waits. */
export function ApprovalSettingsForm({ environment, settings, editable }: { environment: string; settings: Settings; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function save(form: FormData) {
    startTransition(async () => {
      const tier = String(form.get("approvalRiskTier") ?? "");
      const result = await updateApprovalSettingsAction({
        environment,
        approverRole: form.get("approverRole"),
        approvalRiskTier: tier === "" ? null : tier,
        approvalTtlSeconds: Number(form.get("approvalTtlMinutes")) * 60,
      });
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      setFeedback(result.ok ? { tone: "success", message: "Approval settings saved. A risk-tier change reaches MCP servers with the next published config." } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  return (
    <details className="rounded-lg border bg-surface p-5">
      <summary className="flex cursor-pointer items-center gap-2 font-medium">
        <Settings2 className="h-4 w-4 text-primary" aria-hidden /> Approval settings
        <span className="text-sm font-normal text-muted-foreground">
          approvers: {settings.approverRole === "OWNER" ? "owners" : "admins and owners"} · expiry {Math.round(settings.approvalTtlSeconds / 60)} min
          {settings.approvalRiskTier ? ` · ${settings.approvalRiskTier} risk and above always need approval` : ""}
        </span>
      </summary>
      <form onSubmit={handleSubmit(save)} className="mt-4 space-y-4" noValidate>
        {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
        {!editable ? <Alert tone="info">Only owners can change these settings.</Alert> : null}
        <fieldset disabled={!editable || pending} className="grid gap-4 sm:grid-cols-3">
          <Field id="approverRole" label="Approvers" hint="Admins with this role or higher decide." errors={fieldErrors.approverRole}>
            <Select id="approverRole" name="approverRole" defaultValue={settings.approverRole}>
              <option value="ADMIN">Admins and owners</option>
              <option value="OWNER">Owners only</option>
            </Select>
          </Field>
          <Field id="approvalRiskTier" label="Risk tier needing approval" hint="Besides tools flagged individually." errors={fieldErrors.approvalRiskTier}>
            <Select id="approvalRiskTier" name="approvalRiskTier" defaultValue={settings.approvalRiskTier ?? ""}>
              <option value="">Only flagged tools</option>
              <option value="CRITICAL">CRITICAL</option>
              <option value="HIGH">HIGH and above</option>
              <option value="MEDIUM">MEDIUM and above</option>
              <option value="LOW">Every tool</option>
            </Select>
          </Field>
          <Field id="approvalTtlMinutes" label="Expiry (minutes)" hint="Undecided requests are denied after this." errors={fieldErrors.approvalTtlSeconds}>
            <Input id="approvalTtlMinutes" name="approvalTtlMinutes" type="number" min={1} max={1440} step="0.5" defaultValue={settings.approvalTtlSeconds / 60} />
          </Field>
        </fieldset>
        {editable ? <Button type="submit">{pending ? "Saving…" : "Save approval settings"}</Button> : null}
      </form>
    </details>
  );
}
