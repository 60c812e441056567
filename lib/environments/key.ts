import { z } from "zod";

/**
 * An environment's key as URLs, API keys and action inputs carry it
 * (`dev`, `prod`). Checked before any lookup, so a malformed key never
 * reaches the database. Browser-safe: forms and the data plane share it.
 */
export const environmentKeySchema = z.string().regex(/^[a-z0-9-]{1,32}$/, "Unknown environment.");

export function isEnvironmentKey(value: string): boolean {
  return environmentKeySchema.safeParse(value).success;
}
