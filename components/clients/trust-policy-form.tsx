"use client";

import { ShieldCheck } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { TrustPolicyValues } from "@/lib/clients/trust-policy";
import { updateTrustPolicyAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

const words = (value: FormDataEntryValue | null) =>
  String(value ?? "")
    .split(/[\s,]+/)
    .filter(Boolean);

/** Every error reported on a list field or on one of its entries (zod names them field.0, field.1, …). */
const listErrors = (errors: Record<string, string[]>, field: string) => {
  const found = Object.entries(errors).flatMap(([key, messages]) => (key === field || key.startsWith(`${field}.`) ? messages : []));
  return found.length ? found : undefined;
};

/** The environment's rules for which clients may even be approved, and which need no person to approve. */
export function TrustPolicyForm({ environment, policy, editable }: { environment: string; policy: TrustPolicyValues; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function save(form: FormData) {
    startTransition(async () => {
      const result = await updateTrustPolicyAction({
        environment,
        version: policy.version,
        allowedDomains: words(form.get("allowedDomains")),
        deniedDomains: words(form.get("deniedDomains")),
        requireSameOriginRedirects: form.get("requireSameOriginRedirects") === "on",
        allowLocalhostRedirects: form.get("allowLocalhostRedirects") === "on",
      });
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      setFeedback(result.ok ? { tone: "success", message: "Trust policy saved." } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  return (
    <details className="rounded-lg border bg-surface p-5">
      <summary className="flex cursor-pointer items-center gap-2 font-medium">
        <ShieldCheck className="h-4 w-4 text-primary" aria-hidden /> Trust policy
        <span className="text-sm font-normal text-muted-foreground">
          {policy.allowedDomains.length} allowed, {policy.deniedDomains.length} denied domain{policy.deniedDomains.length === 1 ? "" : "s"}
        </span>
      </summary>
      <form onSubmit={handleSubmit(save)} className="mt-4 space-y-4" noValidate>
        {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
        <fieldset disabled={!editable || pending} className="space-y-4">
          <Field id="allowedDomains" label="Allowed domains" hint="Valid clients from these domains may be approved without review. example.com covers example.com and all its subdomains; *.example.com covers only subdomains (a.example.com, a.b.example.com), not example.com itself. No scheme, path or port; a * only as the whole first label. Space- or comma-separated." errors={listErrors(fieldErrors, "allowedDomains")}>
            <Input id="allowedDomains" name="allowedDomains" defaultValue={policy.allowedDomains.join(" ")} placeholder="e.g. vscode.dev claude.ai" />
          </Field>
          <Field id="deniedDomains" label="Denied domains" hint="Clients from these domains can never be approved. Same forms as above: example.com or *.example.com. A denial wins over an allowance." errors={listErrors(fieldErrors, "deniedDomains")}>
            <Input id="deniedDomains" name="deniedDomains" defaultValue={policy.deniedDomains.join(" ")} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="requireSameOriginRedirects" className="h-4 w-4" defaultChecked={policy.requireSameOriginRedirects} />
            Require redirect URIs on the client_id&apos;s own host (loopback excepted)
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="allowLocalhostRedirects" className="h-4 w-4" defaultChecked={policy.allowLocalhostRedirects} />
            Allow loopback redirect URIs (desktop and CLI agents)
          </label>
          {editable ? <Button type="submit">{pending ? "Saving…" : "Save trust policy"}</Button> : null}
        </fieldset>
      </form>
    </details>
  );
}
