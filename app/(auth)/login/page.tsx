import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentAdmin } from "@/lib/auth/session";
import { readOidcSettings } from "@/lib/auth/settings";
import { safeCallbackPath } from "@/lib/auth/callback-url";
import { LoginForm } from "@/components/auth/login-form";

export const metadata: Metadata = { title: "Sign in" };

// next-auth's own error codes, in words an admin can act on.
const ERROR_MESSAGES: Record<string, string> = {
  OAuthSignin: "Could not reach the identity provider. Try again, or sign in with your password.",
  OAuthCallback: "The identity provider's answer could not be verified. Try again.",
  Callback: "Sign-in could not be completed. Try again.",
  AccessDenied: "This account may not sign in to Warden.",
  SessionRequired: "Sign in to continue.",
  Default: "Sign-in failed. Try again.",
};

// Where the admin arrives from, as [search param, value, message].
const NOTICES: [string, string, string][] = [
  ["created", "1", "Your account is ready. Sign in with your new password."],
  ["reset", "1", "Your password was changed and every earlier session has ended. Sign in with your new password."],
  ["signedOut", "everywhere", "You were signed out everywhere: every browser signed in to your account has to sign in again."],
  ["passwordChanged", "1", "Your password was changed and every session has ended. Sign in with your new password."],
];

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackPath(params.callbackUrl);
  if (await getCurrentAdmin()) redirect(callbackUrl);
  const oidc = readOidcSettings();
  const rawError = typeof params.error === "string" ? params.error : undefined;
  const error = rawError ? (ERROR_MESSAGES[rawError] ?? rawError.slice(0, 300)) : undefined;
  const notice = NOTICES.find(([param, value]) => params[param] === value)?.[2];
  return (
    <LoginForm
      callbackUrl={callbackUrl}
      ssoName={oidc?.displayName ?? null}
      initialError={error}
      notice={notice}
      initialEmail={typeof params.email === "string" ? params.email : ""}
    />
  );
}
