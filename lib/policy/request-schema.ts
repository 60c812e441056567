import { z } from "zod";
import { isEnvironmentKey } from "@/lib/environments/key";
import type { DecisionRequest } from "@/sdk/src/contract/policy";

/** POST /api/v1/decisions refuses bodies above this: a decision request is a few hundred bytes. */
export const DECISION_BODY_MAX_BYTES = 64 * 1024;

// RFC 6749 §3.3 scope-token: printable ASCII except space, " and \.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const scopeToken = z.string().max(200, "A scope is at most 200 characters.").regex(SCOPE_TOKEN, "A scope is printable ASCII without spaces, quotes or backslashes.");
const splitScopes = (value: string) => value.split(/\s+/).filter(Boolean);

/** A token's scopes, as the array or as the space-separated "scope" claim. */
export const ScopesSchema = z
  .union([z.string().max(8_192).transform(splitScopes), z.array(z.string())])
  .pipe(z.array(scopeToken).max(200, "At most 200 scopes."))
  .transform((scopes) => [...new Set(scopes)]);

const claimValue = z.union([z.string().max(4_096), z.array(z.string().max(4_096)).max(500)], {
  error: "Each claim is a string or an array of strings.",
});

/** Raw token claims, as far as role mapping reads them. */
export const ClaimsSchema = z
  .record(z.string().min(1).max(200), claimValue)
  .refine((claims) => Object.keys(claims).length <= 100, "At most 100 claims.");

const required = (what: string, max: number) =>
  z.string({ error: `Enter the ${what}.` }).trim().min(1, `Enter the ${what}.`).max(max, `The ${what} is at most ${max} characters.`);

/** The body of POST /api/v1/decisions. Unknown fields are refused, so a misspelt one cannot be silently ignored. */
export const DecisionApiRequestSchema = z.strictObject({
  environment: z.string({ error: "Name the environment by its key, e.g. prod." }).refine(isEnvironmentKey, "Name the environment by its key, e.g. prod."),
  sub: required("sub (the user's subject identifier)", 512),
  clientId: required("client ID", 2_048),
  server: required("server name", 200),
  tool: required("tool name", 200),
  scopes: ScopesSchema.default([]),
  roles: z.array(z.string().min(1).max(200)).max(200, "At most 200 roles.").default([]),
  claims: ClaimsSchema.optional(),
}, { error: "The body must be a JSON object." });
export type DecisionApiRequest = z.infer<typeof DecisionApiRequestSchema>;

export function toDecisionRequest(input: Omit<DecisionApiRequest, "environment">): DecisionRequest {
  return { subject: input.sub, clientId: input.clientId, server: input.server, tool: input.tool, scopes: input.scopes, roles: input.roles, claims: input.claims };
}

/** zod issues as { field: [messages] }, the shape forms and API answers use. */
export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      // Named by the field itself, so the caller sees which one to drop.
      for (const key of issue.keys) (fieldErrors[[...issue.path, key].join(".")] ??= []).push(`Unknown field "${key}".`);
      continue;
    }
    const key = issue.path.join(".") || "_body";
    (fieldErrors[key] ??= []).push(issue.message);
  }
  return fieldErrors;
}
