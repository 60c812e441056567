import { canonicalJson, contentDigest } from "@/sdk/src/contract/canonical-json";
import { cacheExpiresAt } from "./cache-policy";
import { logoIssue, logoSrc, type LogoState } from "./logo";
import { FetchRefusal, safeFetch, type SafeFetchOptions } from "./safe-fetch";
import { validateClientMetadata, type CimdIssue } from "./validate";

/** Everything the review screen shows about a client before anyone decides. */
export type ClientPreview = {
  clientId: string;
  /** Shown first and largest: the only thing in the document the publisher cannot fake. */
  hostname: string;
  fetched: boolean;
  fetchError: { code: string; message: string } | null;
  metadata: Record<string, unknown> | null;
  metadataHash: string | null;
  fetchedAt: string;
  cacheExpiresAt: string | null;
  name: string | null;
  links: { field: "logo_uri" | "client_uri" | "policy_uri" | "tos_uri"; url: string }[];
  redirects: { uri: string; host: string }[];
  grantTypes: string[];
  authMethod: string | null;
  scope: string | null;
  keys: "none" | "jwks" | "jwks_uri";
  errors: CimdIssue[];
  warnings: CimdIssue[];
  /** The logo_uri image: fetched and stored by attachLogo, never loaded from the publisher by a browser. */
  logo: LogoState;
  /** What the environment's trust policy says, and which of its entries said it (set by applyTrustPolicy). */
  trust?: { verdict: "allow" | "deny" | "review"; rule: { list: "allowed" | "denied"; pattern: string } | null; explanation: string };
};

export type FetchSettings = Pick<SafeFetchOptions, "testing" | "resolve" | "timeoutMs">;

export async function previewClient(clientId: string, settings: FetchSettings = {}, now = new Date()): Promise<ClientPreview> {
  const hostname = safeHostname(clientId);
  const base = { clientId, hostname, fetchedAt: now.toISOString() };
  let document: unknown;
  let expiresAt: Date | null = null;
  try {
    const response = await safeFetch(clientId, { accept: "json", ...settings });
    document = response.json;
    expiresAt = cacheExpiresAt(response.headers, now);
  } catch (error) {
    if (!(error instanceof FetchRefusal)) throw error;
    return {
      ...base,
      fetched: false,
      fetchError: { code: error.code, message: error.message },
      metadata: null,
      metadataHash: null,
      cacheExpiresAt: null,
      name: null,
      links: [],
      redirects: [],
      grantTypes: [],
      authMethod: null,
      scope: null,
      keys: "none",
      errors: [{ code: error.code, field: "(fetch)", message: error.message }],
      warnings: [],
      logo: { status: "none" },
    };
  }
  const described = describeDocument(clientId, document);
  return {
    ...base,
    ...described,
    // Invalid documents are never cached: the next look fetches again.
    cacheExpiresAt: described.errors.length === 0 ? (expiresAt?.toISOString() ?? null) : null,
  };
}

/** The preview of a document already stored, re-validated against today's rules (no fetch). */
export function storedPreview(client: {
  clientId: string;
  metadata: unknown;
  fetchedAt: Date | null;
  cacheExpiresAt: Date | null;
  logoId?: string | null;
  logoError?: string | null;
}): ClientPreview {
  const base = { clientId: client.clientId, hostname: safeHostname(client.clientId), fetchedAt: (client.fetchedAt ?? new Date(0)).toISOString() };
  if (client.metadata === null || client.metadata === undefined) {
    return {
      ...base,
      fetched: false,
      fetchError: { code: "not_fetched", message: "Warden has not fetched this client's metadata yet. Refresh it to review." },
      metadata: null,
      metadataHash: null,
      cacheExpiresAt: null,
      name: null,
      links: [],
      redirects: [],
      grantTypes: [],
      authMethod: null,
      scope: null,
      keys: "none",
      errors: [],
      warnings: [],
      logo: { status: "none" },
    };
  }
  const described = describeDocument(client.clientId, client.metadata);
  const stored = { ...base, ...described, cacheExpiresAt: client.cacheExpiresAt?.toISOString() ?? null };
  if (described.logo.status !== "not_fetched") return stored;
  const url = described.logo.url;
  if (client.logoId) return { ...stored, logo: { status: "stored", url, id: client.logoId, src: logoSrc(client.logoId) } };
  if (client.logoError) return { ...stored, logo: { status: "refused", url, reason: client.logoError }, warnings: [...stored.warnings, logoIssue(client.logoError)] };
  return stored;
}

function describeDocument(clientId: string, document: unknown) {
  const validation = validateClientMetadata(clientId, document);
  const doc = (document && typeof document === "object" && !Array.isArray(document) ? document : {}) as Record<string, unknown>;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
  return {
    fetched: true,
    fetchError: null,
    metadata: doc,
    metadataHash: contentDigest(doc),
    name: typeof doc.client_name === "string" ? doc.client_name : null,
    links: (["logo_uri", "client_uri", "policy_uri", "tos_uri"] as const)
      .filter((field) => typeof doc[field] === "string")
      .map((field) => ({ field, url: doc[field] as string })),
    redirects: strings(doc.redirect_uris).map((uri) => ({ uri, host: safeHostname(uri) })),
    grantTypes: strings(doc.grant_types),
    authMethod: typeof doc.token_endpoint_auth_method === "string" ? doc.token_endpoint_auth_method : null,
    scope: typeof doc.scope === "string" ? doc.scope : null,
    keys: ("jwks" in doc ? "jwks" : "jwks_uri" in doc ? "jwks_uri" : "none") as ClientPreview["keys"],
    errors: validation.errors,
    warnings: validation.warnings,
    logo: (typeof doc.logo_uri === "string" ? { status: "not_fetched", url: doc.logo_uri } : { status: "none" }) as LogoState,
  };
}

function safeHostname(value: string): string {
  try {
    return new URL(value).host;
  } catch {
    return value;
  }
}

/**
 * The fields whose change after approval sends a client back to review:
 * where tokens go, how it authenticates, what it may ask for, and how people
 * recognise it.
 */
export const REVIEW_FIELDS = ["redirect_uris", "token_endpoint_auth_method", "grant_types", "scope", "jwks", "jwks_uri", "client_name", "logo_uri"] as const;

export type MetadataChange = { field: string; before: unknown; after: unknown; needsReview: boolean };

export function diffMetadata(before: Record<string, unknown> | null, after: Record<string, unknown> | null): MetadataChange[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  return fields
    .filter((field) => canonicalJson(before?.[field] ?? null) !== canonicalJson(after?.[field] ?? null))
    .map((field) => ({
      field,
      before: before?.[field] ?? null,
      after: after?.[field] ?? null,
      needsReview: (REVIEW_FIELDS as readonly string[]).includes(field),
    }));
}
