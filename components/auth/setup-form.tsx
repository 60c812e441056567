"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { acceptInvitationAction, completePasswordResetAction, createFirstOwnerAction } from "@/actions/setup";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { handleSubmit } from "@/components/ui/submit";
import { Input } from "@/components/ui/input";

const ACTIONS = { "first-owner": createFirstOwnerAction, invitation: acceptInvitationAction, "password-reset": completePasswordResetAction };

export function SetupForm({
  token,
  purpose,
  invitedEmail,
  invitedRole,
}: {
  token: string;
  purpose: "first-owner" | "invitation" | "password-reset";
  invitedEmail: string | null;
  invitedRole: string | null;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const firstOwner = purpose === "first-owner";
  const reset = purpose === "password-reset";

  function submit(form: FormData) {
    const values = Object.fromEntries(form.entries());
    startTransition(async () => {
      const result = await ACTIONS[purpose]({ ...values, token });
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      router.push(`/login?${reset ? "reset" : "created"}=1&email=${encodeURIComponent(result.data.email)}`);
    });
  }

  return (
    <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
      <div>
        <h1 className="text-lg font-semibold">{firstOwner ? "Create the first owner" : reset ? "Choose a new password" : "Accept your invitation"}</h1>
        <p className="mt-1 text-sm text-muted-foreground">
          {firstOwner
            ? "This account can manage everything in Warden, including other admins. The link works once."
            : reset
              ? `An owner started a password reset for ${invitedEmail}. The new password replaces the old one, and every browser signed in to this account is signed out. The link works once.`
              : `You were invited as ${invitedRole} with ${invitedEmail}. Choose a password to finish.`}
        </p>
      </div>
      {error ? <Alert tone="error">{error}</Alert> : null}
      {firstOwner ? (
        <Field id="email" label="Email" errors={fieldErrors.email}>
          <Input id="email" name="email" type="email" autoComplete="username" required autoFocus aria-invalid={Boolean(fieldErrors.email)} />
        </Field>
      ) : null}
      {reset ? null : (
        <Field id="name" label="Name (optional)" errors={fieldErrors.name}>
          <Input id="name" name="name" autoComplete="name" autoFocus={!firstOwner} />
        </Field>
      )}
      <Field id="password" label={reset ? "New password" : "Password"} hint="At least 12 characters." errors={fieldErrors.password}>
        <Input id="password" name="password" type="password" autoComplete="new-password" required autoFocus={reset} aria-invalid={Boolean(fieldErrors.password)} />
      </Field>
      <Field id="confirmPassword" label="Confirm password" errors={fieldErrors.confirmPassword}>
        <Input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" required aria-invalid={Boolean(fieldErrors.confirmPassword)} />
      </Field>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Saving…" : firstOwner ? "Create owner" : reset ? "Set new password" : "Set password"}
      </Button>
    </form>
  );
}
