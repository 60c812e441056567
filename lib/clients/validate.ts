/**
 * The rules a Client ID Metadata Document must meet before an admin may even
 * approve it (draft-ietf-oauth-client-id-metadata-document, the MCP
 * authorization spec). Each rule has its own code and sentence, so the review
 * screen can explain every failure. Warnings do not block approval; they are
 * what a careful reviewer should look at twice.
 */

export type CimdIssue = { code: string; field: string; message: string };
export type CimdValidation = { valid: boolean; errors: CimdIssue[]; warnings: CimdIssue[] };

export const ALLOWED_AUTH_METHODS = ["none", "private_key_jwt"] as const;
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);
const LINK_FIELDS = ["logo_uri", "client_uri", "policy_uri", "tos_uri"] as const;

function parseUrl(value: unknown): URL | null {
  if (typeof value !== "string") return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

export function validateClientMetadata(clientIdUrl: string, document: unknown): CimdValidation {
  const errors: CimdIssue[] = [];
  const warnings: CimdIssue[] = [];
  const error = (code: string, field: string, message: string) => errors.push({ code, field, message });
  const warn = (code: string, field: string, message: string) => warnings.push({ code, field, message });

  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    error("not_an_object", "(document)", "The document must be a JSON object.");
    return { valid: false, errors, warnings };
  }
  const doc = document as Record<string, unknown>;
  const clientHost = parseUrl(clientIdUrl)?.host ?? "";

  // Identity: exact string comparison, no normalisation (the spec's rule).
  if (doc.client_id !== clientIdUrl) {
    error("client_id_mismatch", "client_id", `client_id must equal the URL it was fetched from exactly (${clientIdUrl}); the document says ${JSON.stringify(doc.client_id ?? null)}.`);
  }

  // No shared secrets: anyone can read this document.
  if ("client_secret" in doc) error("client_secret_present", "client_secret", "A public metadata document must not contain a client_secret.");
  if ("client_secret_expires_at" in doc) {
    error("client_secret_expires_at_present", "client_secret_expires_at", "client_secret_expires_at implies a shared secret, which a metadata document cannot have.");
  }
  const method = doc.token_endpoint_auth_method;
  if (method === undefined) {
    error("auth_method_missing", "token_endpoint_auth_method", 'token_endpoint_auth_method is missing; its default, client_secret_basic, is a shared secret. It must be "none" or "private_key_jwt".');
  } else if (!ALLOWED_AUTH_METHODS.includes(method as (typeof ALLOWED_AUTH_METHODS)[number])) {
    error("auth_method_not_allowed", "token_endpoint_auth_method", `token_endpoint_auth_method ${JSON.stringify(method)} is not allowed; it must be "none" or "private_key_jwt".`);
  }

  if (typeof doc.client_name !== "string" || !doc.client_name.trim()) {
    error("client_name_missing", "client_name", "client_name is required, so that people can recognise the agent.");
  }

  // Redirect URIs: https, or http on the loopback interface (native apps, RFC 8252).
  const redirects = doc.redirect_uris;
  if (!Array.isArray(redirects) || redirects.length === 0) {
    error("redirect_uris_missing", "redirect_uris", "redirect_uris is required and must list at least one URI.");
  } else {
    redirects.forEach((value, index) => {
      const field = `redirect_uris[${index}]`;
      const url = parseUrl(value);
      if (!url) return error("redirect_uri_invalid", field, `${JSON.stringify(value)} is not a valid absolute URI.`);
      if (url.hash || String(value).includes("#")) return error("redirect_uri_fragment", field, `${value} must not contain a fragment.`);
      if (url.protocol === "https:") return;
      if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return;
      error("redirect_uri_scheme", field, `${value} must use https, or http on a loopback address (127.0.0.1, [::1] or localhost).`);
    });
    const urls = redirects.map(parseUrl).filter((url): url is URL => url !== null);
    if (urls.length && urls.every((url) => isLoopbackHost(url.hostname))) {
      warn("redirects_all_localhost", "redirect_uris", "Every redirect URI is on this computer (loopback): fine for a desktop or CLI agent, unusual for a web service.");
    }
    const foreign = [...new Set(urls.filter((url) => !isLoopbackHost(url.hostname) && url.host !== clientHost).map((url) => url.host))];
    if (foreign.length) warn("redirect_host_differs", "redirect_uris", `Redirect URIs point to ${foreign.join(", ")}, not to ${clientHost}, the host that published this document.`);
  }

  // Keys: a published key set holds public keys only.
  if ("jwks" in doc && "jwks_uri" in doc) error("jwks_and_jwks_uri", "jwks", "Use either jwks or jwks_uri, not both.");
  if ("jwks" in doc) {
    const keys = (doc.jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) {
      error("jwks_invalid", "jwks", "jwks must be an object with a keys array.");
    } else if (keys.some((key) => key && typeof key === "object" && PRIVATE_JWK_MEMBERS.some((member) => member in key))) {
      error("jwks_private_key", "jwks", "jwks contains private key material; the key pair is compromised and must be replaced.");
    }
  }
  if ("jwks_uri" in doc) {
    const jwksUri = parseUrl(doc.jwks_uri);
    if (!jwksUri || jwksUri.protocol !== "https:") error("jwks_uri_invalid", "jwks_uri", "jwks_uri must be an https URL.");
    else if (jwksUri.host !== clientHost) warn("jwks_uri_off_origin", "jwks_uri", `The signing keys are published on ${jwksUri.host}, not on ${clientHost}.`);
  }
  if (method === "private_key_jwt" && !("jwks" in doc) && !("jwks_uri" in doc)) {
    error("private_key_jwt_without_keys", "token_endpoint_auth_method", "private_key_jwt needs a jwks or a jwks_uri to verify the client's signatures.");
  }

  for (const field of LINK_FIELDS) {
    if (!(field in doc)) continue;
    const url = parseUrl(doc[field]);
    if (!url || url.protocol !== "https:") warn(`${field}_invalid`, field, `${field} is not an https URL and will not be shown.`);
    else if (url.host !== clientHost) warn(`${field}_off_origin`, field, `${field} points to ${url.host}, not to ${clientHost}.`);
  }

  return { valid: errors.length === 0, errors, warnings };
}

/**
 * Whether a redirect URI in an authorization request matches a registered one.
 * Exact string match, except that a loopback http URI registered without a
 * port matches any port (RFC 8252 §7.3): native apps pick a free port at run time.
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const a = parseUrl(registered);
  const b = parseUrl(requested);
  if (!a || !b || a.protocol !== "http:" || b.protocol !== "http:" || !isLoopbackHost(a.hostname)) return false;
  if (a.port !== "") return false;
  return a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search;
}
