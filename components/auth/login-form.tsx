"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { handleSubmit } from "@/components/ui/submit";
import { Input } from "@/components/ui/input";

export function LoginForm({
  callbackUrl,
  ssoName,
  initialError,
  notice,
  initialEmail,
}: {
  callbackUrl: string;
  ssoName: string | null;
  initialError?: string;
  notice?: string;
  initialEmail: string;
}) {
  const router = useRouter();
  const [error, setError] = useState(initialError);
  const [pending, setPending] = useState<"password" | "sso" | null>(null);

  async function submit(form: FormData) {
    setPending("password");
    setError(undefined);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    if (!result || result.error || !result.ok) {
      setPending(null);
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Wrong email or password.");
      return;
    }
    router.replace(callbackUrl);
    router.refresh();
  }

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-lg font-semibold">Sign in</h1>
        <p className="text-sm text-muted-foreground">to the Warden admin dashboard</p>
      </div>
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      {ssoName ? (
        <>
          <Button
            variant="secondary"
            className="w-full"
            disabled={pending !== null}
            onClick={() => {
              setPending("sso");
              void signIn("oidc", { callbackUrl });
            }}
          >
            {pending === "sso" ? "Redirecting…" : `Continue with ${ssoName}`}
          </Button>
          <div className="flex items-center gap-3 text-xs text-muted-foreground">
            <span className="h-px flex-1 bg-border" /> or with a password <span className="h-px flex-1 bg-border" />
          </div>
        </>
      ) : null}
      <form onSubmit={handleSubmit(submit)} className="space-y-4">
        <Field id="email" label="Email">
          <Input id="email" name="email" type="email" autoComplete="username" required defaultValue={initialEmail} autoFocus={!initialEmail} />
        </Field>
        <Field id="password" label="Password">
          <Input id="password" name="password" type="password" autoComplete="current-password" required autoFocus={Boolean(initialEmail)} />
        </Field>
        <Button type="submit" className="w-full" disabled={pending !== null}>
          {pending === "password" ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </div>
  );
}
