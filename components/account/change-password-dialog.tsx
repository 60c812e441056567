"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { changeOwnPasswordAction } from "@/actions/account";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { handleSubmit } from "@/components/ui/submit";
import { Input } from "@/components/ui/input";

/**
 * Changing the password ends every session of the account, this one
 * included; this browser then signs in again with the new password, so the
 * admin stays where they are while every other browser is signed out.
 */
export function ChangePasswordDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [done, setDone] = useState(false);

  function reset(nextOpen: boolean) {
    onOpenChange(nextOpen);
    if (!nextOpen) {
      setError(undefined);
      setFieldErrors({});
      setDone(false);
    }
  }

  function submit(form: FormData) {
    const values = Object.fromEntries(form.entries());
    startTransition(async () => {
      const result = await changeOwnPasswordAction(values);
      if (!result.ok) {
        setError(result.error);
        setFieldErrors(result.fieldErrors ?? {});
        return;
      }
      const renewed = await signIn("credentials", { email: result.data.email, password: String(values.password ?? ""), redirect: false });
      if (!renewed?.ok || renewed.error) {
        router.push(`/login?passwordChanged=1&email=${encodeURIComponent(result.data.email)}`);
        return;
      }
      setError(undefined);
      setFieldErrors({});
      setDone(true);
      router.refresh();
    });
  }

  return (
    <Dialog open={open} onOpenChange={reset} title="Change your password" description="Every other browser signed in to your account is signed out.">
      {done ? (
        <div className="space-y-4">
          <Alert tone="success">Your password was changed. Your other sessions have ended; this one continues.</Alert>
          <div className="flex justify-end">
            <Button onClick={() => reset(false)}>Done</Button>
          </div>
        </div>
      ) : (
        <form onSubmit={handleSubmit(submit)} className="space-y-4" noValidate>
          {error ? <Alert tone="error">{error}</Alert> : null}
          <Field id="current-password" label="Current password" errors={fieldErrors.currentPassword}>
            <Input
              id="current-password"
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              aria-invalid={Boolean(fieldErrors.currentPassword)}
            />
          </Field>
          <Field id="new-password" label="New password" hint="At least 12 characters." errors={fieldErrors.password}>
            <Input id="new-password" name="password" type="password" autoComplete="new-password" required aria-invalid={Boolean(fieldErrors.password)} />
          </Field>
          <Field id="confirm-new-password" label="Confirm new password" errors={fieldErrors.confirmPassword}>
            <Input
              id="confirm-new-password"
              name="confirmPassword"
              type="password"
              autoComplete="new-password"
              required
              aria-invalid={Boolean(fieldErrors.confirmPassword)}
            />
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => reset(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {pending ? "Changing…" : "Change password"}
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
