import { z } from "zod";
import { safeString } from "@/lib/input/rules";
import type { ExchangeRequest } from "./decide-exchange";

const text = (max: number) => safeString().trim().max(max).catch("");
const words = (value: string) => [...new Set(value.split(/[\s,]+/).filter(Boolean))];

/** The question of Test access → token exchange, as it lives in the URL (so it can be shared). */
export const TestExchangeQuerySchema = z.object({
  server: text(200),
  subject: text(256),
  client: text(2_048),
  audience: text(2_048),
  scope: text(2_000),
  incoming: text(2_000),
  tool: text(200),
  roles: text(2_000),
});
export type TestExchangeQuery = z.infer<typeof TestExchangeQuerySchema>;

export function parseTestExchangeQuery(params: Record<string, string | string[] | undefined>): { query: TestExchangeQuery; request: ExchangeRequest | null } {
  const flat = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]));
  const query = TestExchangeQuerySchema.parse({ ...Object.fromEntries(Object.keys(TestExchangeQuerySchema.shape).map((name) => [name, ""])), ...flat });
  if (!query.server || !query.client || !query.audience) return { query, request: null };
  return {
    query,
    request: {
      server: query.server,
      subject: query.subject,
      clientId: query.client,
      audience: query.audience,
      requestedScopes: words(query.scope),
      incomingScopes: words(query.incoming),
      tool: query.tool || null,
      roles: words(query.roles),
    },
  };
}
