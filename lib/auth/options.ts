import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { clientIpFrom } from "./request-context";
import { endSession, newSessionClaims, SESSION_MAX_AGE_SECONDS } from "./sessions";
import { readOidcSettings } from "./settings";
import { signInWithOidc, signInWithPassword, type SignedInAdmin } from "./sign-in";

export const OIDC_PROVIDER_ID = "oidc";

const CredentialsSchema = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(256),
});

async function requestIp(): Promise<string | null> {
  try {
    return clientIpFrom(await headers());
  } catch {
    return null;
  }
}

/**
 * next-auth only proves who is signing in. The session token carries the
 * admin's id and its session's claims (id, generation, start) and nothing
 * else: role, disabled state and whether the session still counts are read
 * from the database on every request, so a change takes effect at once.
 */
export function buildAuthOptions(): NextAuthOptions {
  const oidc = readOidcSettings();
  const providers: NextAuthOptions["providers"] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        const parsed = CredentialsSchema.safeParse(credentials);
        if (!parsed.success) throw new Error("Enter a valid email address and your password.");
        const outcome = await signInWithPassword(getDb(), { ...parsed.data, ip: await requestIp() });
        if (!outcome.ok) throw new Error(outcome.error);
        return outcome.admin;
      },
    }),
  ];
  if (oidc) {
    providers.push({
      id: OIDC_PROVIDER_ID,
      name: oidc.displayName,
      type: "oauth",
      wellKnown: `${oidc.issuer}/.well-known/openid-configuration`,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state", "nonce"],
      profile(profile: { sub: string; email?: string; name?: string }) {
        return { id: profile.sub, email: profile.email ?? null, name: profile.name ?? null };
      },
    });
  }

  return {
    secret: process.env.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    providers,
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID || !oidc) return true;
        const claims = profile as { sub?: string; email?: string; email_verified?: boolean; name?: string } | undefined;
        if (!claims?.sub) return `/login?error=${encodeURIComponent("The identity provider sent no subject.")}`;
        const outcome = await signInWithOidc(
          getDb(),
          oidc,
          { subject: claims.sub, email: claims.email ?? null, emailVerified: claims.email_verified === true, name: claims.name ?? null },
          await requestIp(),
        );
        return outcome.ok ? true : `/login?error=${encodeURIComponent(outcome.error)}`;
      },
      async jwt({ token, user, account, profile }) {
        // Only at sign-in: afterwards the claims travel unchanged in the token.
        if (account?.provider === "credentials" && user) {
          const admin = user as SignedInAdmin;
          Object.assign(token, newSessionClaims(admin.id, admin.sessionGeneration));
        }
        if (account?.provider === OIDC_PROVIDER_ID && oidc) {
          const subject = (profile as { sub?: string } | undefined)?.sub;
          const admin = subject
            ? await getDb().admin.findUnique({ where: { oidcSubject: `${oidc.issuer}#${subject}` }, select: { id: true, sessionGeneration: true } })
            : null;
          if (admin) Object.assign(token, newSessionClaims(admin.id, admin.sessionGeneration));
        }
        return token;
      },
      async session({ session, token }) {
        const { adminId, sessionId, sessionGeneration, signedInAt } = token;
        return { ...session, adminId, sessionId, sessionGeneration, signedInAt };
      },
    },
    events: {
      async signOut({ token }) {
        await endSession(getDb(), token, await requestIp());
      },
    },
  };
}
