"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { registerPreRegisteredClientAction } from "@/actions/clients";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { DecisionFields, decisionValues } from "./decision-fields";
import { detailsValues, logoValue, PreRegisteredDetailsFields } from "./pre-registered-fields";

type Decision = "approve" | "reject" | "pending";

/** Registers an agent by the client_id its IdP issued; the admin's description stands in for a metadata document. */
export function RegisterPreRegisteredForm({ environment }: { environment: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});

  function decide(decision: Decision, form: FormData) {
    setError(undefined);
    setFieldErrors({});
    startTransition(async () => {
      const logo = await logoValue(form);
      if (logo.error) {
        setError("Some fields need attention.");
        setFieldErrors({ logo: [logo.error] });
        return;
      }
      const result = await registerPreRegisteredClientAction({
        environment,
        clientId: String(form.get("clientId") ?? ""),
        ...detailsValues(form),
        ...(logo.logo ? { logo: logo.logo } : {}),
        decision,
        ...decisionValues(form),
      });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      router.push(`/${environment}/clients/${result.data.id}`);
    });
  }

  return (
    <form
      className="space-y-6"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
        decide((submitter?.value as Decision) ?? "pending", new FormData(event.currentTarget));
      }}
    >
      <section className="space-y-4 rounded-lg border bg-surface p-5" aria-labelledby="pre-registered-heading">
        <h2 id="pre-registered-heading" className="font-medium">
          The client as your IdP knows it
        </h2>
        <Field
          id="clientId"
          label="Client ID (as issued by your IdP)"
          hint="Exactly as it arrives in the token's azp or client_id claim. Case and every character count."
          errors={fieldErrors.clientId}
        >
          <Input id="clientId" name="clientId" required maxLength={255} autoFocus placeholder="e.g. 0oa1b2c3d4" className="font-mono" autoComplete="off" aria-invalid={Boolean(fieldErrors.clientId)} />
        </Field>
        <PreRegisteredDetailsFields fieldErrors={fieldErrors} />
      </section>

      {error ? <Alert tone="error">{error}</Alert> : null}

      <section className="space-y-4 rounded-lg border bg-surface p-5" aria-labelledby="pre-registered-decide">
        <h2 id="pre-registered-decide" className="font-medium">
          Decide
        </h2>
        <DecisionFields fieldErrors={fieldErrors} />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" value="approve" disabled={pending}>
            Register and approve
          </Button>
          <Button type="submit" value="pending" variant="secondary" disabled={pending}>
            Register, keep pending
          </Button>
          <Button type="submit" value="reject" variant="destructive" disabled={pending}>
            Register as rejected
          </Button>
        </div>
      </section>
    </form>
  );
}
