/**
 * A real OpenID Connect provider for the end-to-end tests, built on the
 * `oidc-provider` package (a certified implementation), not a mock. Its
 * development login screen accepts any login name, which becomes the user's
 * email; "unverified+…" logins get email_verified=false.
 */
import Provider from "oidc-provider";

export const OIDC_TEST_PORT = Number(process.env.OIDC_TEST_PORT ?? 3201);
export const OIDC_TEST_ISSUER = `http://localhost:${OIDC_TEST_PORT}`;
export const OIDC_TEST_CLIENT = { id: "warden-e2e", secret: "warden-e2e-client-secret-not-for-production" };

export function createTestOidcProvider(wardenUrl: string) {
  const provider = new Provider(OIDC_TEST_ISSUER, {
    clients: [
      {
        client_id: OIDC_TEST_CLIENT.id,
        client_secret: OIDC_TEST_CLIENT.secret,
        redirect_uris: [`${wardenUrl}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // next-auth reads the profile from the ID token, so put the claims there.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ["e2e-only-cookie-key"] },
    async findAccount(_ctx, id) {
      const login = id.toLowerCase();
      const email = login.replace(/^unverified\+/, "");
      return {
        accountId: id,
        async claims() {
          return { sub: `sub-${email}`, email, email_verified: !login.startsWith("unverified+"), name: email.split("@")[0] };
        },
      };
    },
    // Skip the consent screen: the test client is first-party.
    async loadExistingGrant(ctx) {
      const session = ctx.oidc.session;
      const client = ctx.oidc.client;
      if (!session?.accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  return provider;
}

if (process.argv[1]?.endsWith("oidc-provider.ts")) {
  const wardenUrl = process.env.WARDEN_URL ?? "http://localhost:3200";
  createTestOidcProvider(wardenUrl).listen(OIDC_TEST_PORT, "127.0.0.1", () => {
    console.log(`test OIDC provider on ${OIDC_TEST_ISSUER}`);
  });
}
