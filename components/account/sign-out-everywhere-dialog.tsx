"use client";

import { signOut } from "next-auth/react";
import { useState, useTransition } from "react";
import { signOutEverywhereAction } from "@/actions/account";
import { Alert } from "@/components/ui/alert";
import { ConfirmDialog } from "@/components/ui/dialog";

export function SignOutEverywhereDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();

  function confirm() {
    startTransition(async () => {
      const result = await signOutEverywhereAction({});
      if (!result.ok) {
        setError(result.error);
        return;
      }
      // The session already ended on the server; this only clears the cookie and lands on sign-in.
      await signOut({ callbackUrl: "/login?signedOut=everywhere" });
    });
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        if (!next) setError(undefined);
        onOpenChange(next);
      }}
      title="Sign out everywhere?"
      description={
        <>
          <p>Every browser and device signed in to your account is signed out, this one included. You sign in again afterwards.</p>
          {error ? (
            <Alert tone="error" className="mt-3">
              {error}
            </Alert>
          ) : null}
        </>
      }
      confirmLabel="Sign out everywhere"
      pending={pending}
      onConfirm={confirm}
    />
  );
}
