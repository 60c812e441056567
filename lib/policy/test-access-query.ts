import { z } from "zod";
import { ClaimsSchema, ScopesSchema, fieldErrorsOf } from "./request-schema";
import type { DecisionRequest } from "@/sdk/src/contract/policy";

const text = (max: number) => z.preprocess((value) => (Array.isArray(value) ? value[0] : value), z.string().trim().max(max).catch("")).catch("");

/**
 * The "Test access" form as it lives in the URL, so that a decision can be
 * shared as a link. Every field is kept as typed, to refill the form.
 */
export const TestAccessQuerySchema = z.object({
  subject: text(512),
  client: text(2_048),
  server: text(200),
  tool: text(200),
  scopes: text(8_192),
  roles: z
    .preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.string().min(1).max(200)).max(200))
    .catch([]),
  claims: text(16_384),
});
export type TestAccessQuery = z.infer<typeof TestAccessQuerySchema>;

export type TestAccessInput = {
  query: TestAccessQuery;
  /** Null until the form names a client and a tool, or while a field is invalid. */
  request: DecisionRequest | null;
  fieldErrors: Record<string, string[]>;
};

export function parseTestAccessQuery(searchParams: Record<string, string | string[] | undefined>): TestAccessInput {
  const query = TestAccessQuerySchema.parse(searchParams);
  const fieldErrors: Record<string, string[]> = {};

  const scopes = ScopesSchema.safeParse(query.scopes);
  if (!scopes.success) fieldErrors.scopes = Object.values(fieldErrorsOf(scopes.error)).flat();

  let claims: z.infer<typeof ClaimsSchema> | undefined;
  if (query.claims) {
    let raw: unknown;
    try {
      raw = JSON.parse(query.claims);
    } catch {
      fieldErrors.claims = ['Claims must be a JSON object, e.g. {"groups": ["sales"]}.'];
    }
    if (!fieldErrors.claims) {
      const parsed = ClaimsSchema.safeParse(raw);
      if (parsed.success) claims = parsed.data;
      else fieldErrors.claims = [`Claims must be a JSON object of strings or string arrays: ${Object.values(fieldErrorsOf(parsed.error)).flat()[0]}`];
    }
  }

  const ready = query.client !== "" && query.server !== "" && query.tool !== "";
  const request: DecisionRequest | null =
    ready && Object.keys(fieldErrors).length === 0
      ? { subject: query.subject, clientId: query.client, server: query.server, tool: query.tool, scopes: scopes.data ?? [], roles: query.roles, claims }
      : null;
  return { query, request, fieldErrors };
}
