"use client";

import { Gauge } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updateApiKeyRateLimitAction } from "@/actions/config";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

const number = (value: number) => value.toLocaleString("en");

/** Owner-only: how many requests each API key of this environment may make, per data-plane instance. */
export function ApiKeyRateLimitForm({ environment, limit, editable }: { environment: string; limit: { perSecond: number; burst: number }; editable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [feedback, setFeedback] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function save(form: FormData) {
    startTransition(async () => {
      const result = await updateApiKeyRateLimitAction({ environment, perSecond: form.get("perSecond"), burst: form.get("burst") });
      setFieldErrors(result.ok ? {} : (result.fieldErrors ?? {}));
      setFeedback(result.ok ? { tone: "success", message: "Rate limit saved. Every data-plane instance applies it within a second or two." } : { tone: "error", message: result.error });
      router.refresh();
    });
  }

  return (
    <details className="mb-6 rounded-lg border bg-surface p-5">
      <summary className="flex cursor-pointer items-center gap-2 font-medium">
        <Gauge className="h-4 w-4 text-primary" aria-hidden /> Rate limit per key
        <span className="text-sm font-normal text-muted-foreground">
          {number(limit.perSecond)} requests/s, bursts of {number(limit.burst)}, per data-plane instance
        </span>
      </summary>
      <form onSubmit={handleSubmit(save)} className="mt-4 space-y-4" noValidate>
        <p className="text-sm text-muted-foreground">
          A key past its limit is answered 429 with Retry-After, which the SDK honours. A config poll costs no database work, so the limit is there to stop a runaway
          loop or a stolen key, not to protect the database. The default (1,000/s, bursts of 4,000) lets 2,000 instances share one key. Each data-plane instance counts
          on its own: behind N instances a key gets up to N times this.
        </p>
        {feedback ? <Alert tone={feedback.tone}>{feedback.message}</Alert> : null}
        {!editable ? <Alert tone="info">Only owners can change the rate limit.</Alert> : null}
        <fieldset disabled={!editable || pending} className="grid gap-4 sm:grid-cols-2">
          <Field id="perSecond" label="Requests per second (sustained)" hint="Refilled continuously." errors={fieldErrors.perSecond}>
            <Input
              id="perSecond"
              name="perSecond"
              type="number"
              inputMode="numeric"
              min={1}
              max={1_000_000}
              step={1}
              required
              defaultValue={limit.perSecond}
              aria-describedby={fieldErrors.perSecond ? "perSecond-error" : "perSecond-hint"}
              aria-invalid={fieldErrors.perSecond ? true : undefined}
            />
          </Field>
          <Field id="burst" label="Burst (requests)" hint="Taken at once after a quiet spell; at least one second's worth." errors={fieldErrors.burst}>
            <Input
              id="burst"
              name="burst"
              type="number"
              inputMode="numeric"
              min={1}
              max={10_000_000}
              step={1}
              required
              defaultValue={limit.burst}
              aria-describedby={fieldErrors.burst ? "burst-error" : "burst-hint"}
              aria-invalid={fieldErrors.burst ? true : undefined}
            />
          </Field>
        </fieldset>
        {editable ? <Button type="submit">{pending ? "Saving…" : "Save rate limit"}</Button> : null}
      </form>
    </details>
  );
}
