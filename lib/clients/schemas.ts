import { z } from "zod";
import { refineText } from "@/lib/input/rules";

// Client field rules with no server dependency, so that policy files (whose
// plan the browser shows) check clients exactly as the forms do.

export const ScopeListSchema = z
  .array(z.string().trim().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, "A scope is one OAuth scope token: no spaces or quotes."))
  .max(200)
  .default([]);

export const CIMD_URL_MESSAGE =
  "This client_id is a URL. A client_id that is an https URL is a Client ID Metadata Document: register it as a CIMD client, so Warden fetches and checks what it publishes.";

/** Whether a client_id must be treated as CIMD: an https URL, or anything that starts like a web URL. */
export function looksLikeCimdUrl(clientId: string): boolean {
  if (/^https?:\/\//i.test(clientId)) return true;
  try {
    return new URL(clientId).protocol === "https:";
  } catch {
    return false;
  }
}

export const PreRegisteredClientIdSchema = z
  .string()
  .trim()
  .min(1, "Enter the client_id your IdP issued.")
  .max(255, "A client_id is at most 255 characters.")
  .superRefine(refineText)
  .refine((value) => /^[^\s\p{C}]*$/u.test(value), "A client_id is printable characters without spaces, exactly as the IdP shows it.")
  .refine((value) => !looksLikeCimdUrl(value), CIMD_URL_MESSAGE);

const optionalText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `Keep the ${what} under ${max} characters.`)
    .superRefine(refineText)
    .nullish()
    .transform((value) => value || null);

const RedirectUriSchema = z
  .string()
  .trim()
  .max(2_048, "A redirect URI is at most 2048 characters.")
  .superRefine(refineText)
  .refine((value) => URL.canParse(value) && !/\s/.test(value), "Each redirect URI is an absolute URI, e.g. https://agent.example.com/callback.");

export const PreRegisteredDetailsSchema = z.object({
  displayName: z.string().trim().min(1, "Enter the name people know this agent by.").max(200, "Keep the name under 200 characters.").superRefine(refineText),
  owner: z.string().trim().min(1, "Enter the owner or team answerable for this agent.").max(200, "Keep the owner under 200 characters.").superRefine(refineText),
  description: optionalText(2_000, "description"),
  redirectUris: z
    .array(RedirectUriSchema)
    .max(20, "List at most 20 redirect URIs.")
    .default([])
    .transform((uris) => [...new Set(uris)]),
});
export type PreRegisteredDetails = z.output<typeof PreRegisteredDetailsSchema>;

