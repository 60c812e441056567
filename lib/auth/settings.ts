import { z } from "zod";

const csv = z
  .string()
  .optional()
  .transform((value) => (value ?? "").split(",").map((item) => item.trim().toLowerCase()).filter(Boolean));

const OidcEnvSchema = z.object({
  WARDEN_OIDC_ISSUER: z.url().optional(),
  WARDEN_OIDC_CLIENT_ID: z.string().min(1).optional(),
  WARDEN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  WARDEN_OIDC_NAME: z.string().min(1).default("Single sign-on"),
  WARDEN_OIDC_ALLOWED_DOMAINS: csv,
});

export type OidcSettings = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Email domains whose unknown users are let in as VIEWER. Empty: invited admins only. */
  allowedDomains: string[];
};

/** SSO is on when issuer, client id and secret are all set; a partial setup is a start-up error. */
export function readOidcSettings(env: NodeJS.ProcessEnv = process.env): OidcSettings | null {
  const parsed = OidcEnvSchema.parse(env);
  const { WARDEN_OIDC_ISSUER: issuer, WARDEN_OIDC_CLIENT_ID: clientId, WARDEN_OIDC_CLIENT_SECRET: clientSecret } = parsed;
  if (!issuer && !clientId && !clientSecret) return null;
  if (!issuer || !clientId || !clientSecret) {
    throw new Error("Single sign-on needs WARDEN_OIDC_ISSUER, WARDEN_OIDC_CLIENT_ID and WARDEN_OIDC_CLIENT_SECRET together.");
  }
  return {
    issuer: issuer.replace(/\/$/, ""),
    clientId,
    clientSecret,
    displayName: parsed.WARDEN_OIDC_NAME,
    allowedDomains: parsed.WARDEN_OIDC_ALLOWED_DOMAINS,
  };
}
