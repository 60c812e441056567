import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { describeSetupToken } from "@/lib/auth/setup-tokens";
import { getDb } from "@/lib/db/client";
import { SetupForm } from "@/components/auth/setup-form";

export const metadata: Metadata = { title: "Set up your account" };

const TokenSchema = z.string().min(20).max(200);

export default async function SetupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const token = TokenSchema.safeParse((await searchParams).token);
  const link = token.success ? await getDb().$transaction((tx) => describeSetupToken(tx, token.data)) : null;
  if (!token.success || !link) {
    return (
      <div className="space-y-3">
        <h1 className="text-lg font-semibold">This link cannot be used</h1>
        <p className="text-sm text-muted-foreground">
          It has expired or was already used. A first-owner link is printed again each time Warden starts while no admin exists; an
          invitation can be sent again by any admin, and a password reset started again by an owner, from Settings → Admins.
        </p>
        <Link href="/login" className="text-sm font-medium text-primary hover:underline">
          Go to sign-in
        </Link>
      </div>
    );
  }
  return <SetupForm token={token.data} purpose={link.purpose} invitedEmail={link.admin?.email ?? null} invitedRole={link.admin?.role ?? null} />;
}
