/**
 * URL rules for MCP servers: the resource identifier (RFC 8707 audience, in
 * the MCP canonical form) and the authorization server issuer (RFC 8414).
 * Each rule has its own message so the admin knows exactly what to fix.
 */

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Scheme and host as typed: WHATWG URL parsing lowercases both, which would hide the mistake. */
function rawSchemeAndHost(text: string): { scheme: string; host: string } | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(text);
  if (!match) return null;
  const authority = match[2]!.replace(/^.*@/, "");
  const host = authority.startsWith("[") ? authority.slice(0, authority.indexOf("]") + 1) : authority.replace(/:\d*$/, "");
  return { scheme: match[1]!, host };
}

function parseAbsolute(text: string): URL | null {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) return null;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function secureTransportProblem(url: URL, what: string): string | null {
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:") {
    return isLoopbackHost(url.hostname) ? null : `${what} must use https. Plain http is allowed only for localhost, 127.0.0.1 or [::1].`;
  }
  return `${what} must be an https URL (http only on localhost).`;
}

/**
 * The problems of a candidate resource identifier, first one first; empty
 * when it is canonical. A query is refused: RFC 8707 allows one, but the MCP
 * canonical form exists so that audience checks are plain string
 * comparisons, and a query (order, encoding) makes equal resources compare
 * unequal.
 */
export function resourceUriProblems(text: string): string[] {
  const url = parseAbsolute(text);
  if (!url) return ["Enter an absolute URL such as https://mcp.example.com/mcp."];
  const problems: string[] = [];
  const transport = secureTransportProblem(url, "The resource identifier");
  if (transport) problems.push(transport);
  const raw = rawSchemeAndHost(text);
  if (raw && raw.scheme !== raw.scheme.toLowerCase()) problems.push(`Write the scheme in lowercase: ${raw.scheme.toLowerCase()}://`);
  if (raw && raw.host !== raw.host.toLowerCase()) problems.push(`Write the host in lowercase: ${raw.host.toLowerCase()}`);
  if (url.username || url.password) problems.push("Remove the user name and password from the URL.");
  if (text.includes("#")) problems.push("Remove the fragment (#…): a resource identifier must not have one.");
  if (text.includes("?")) problems.push("Remove the query (?…): the canonical resource identifier has none, so audiences compare exactly.");
  if (text.endsWith("/")) {
    problems.push(
      url.pathname === "/"
        ? `Remove the trailing slash: write ${url.origin} rather than ${url.origin}/.`
        : "Remove the trailing slash: the canonical resource identifier does not end with /.",
    );
  }
  return problems;
}

/** Problems of an authorization server issuer identifier (RFC 8414 §2: https, no query, no fragment). */
export function issuerUrlProblems(text: string): string[] {
  const url = parseAbsolute(text);
  if (!url) return ["Enter the issuer as an absolute URL such as https://auth.example.com."];
  const problems: string[] = [];
  const transport = secureTransportProblem(url, "The issuer");
  if (transport) problems.push(transport);
  if (url.username || url.password) problems.push("Remove the user name and password from the URL.");
  if (text.includes("?")) problems.push("Remove the query (?…): an issuer identifier has none.");
  if (text.includes("#")) problems.push("Remove the fragment (#…): an issuer identifier has none.");
  return problems;
}

/** A JWKS URL: https (or http on loopback), and nothing else to check here. */
export function jwksUriProblems(text: string): string[] {
  const url = parseAbsolute(text);
  if (!url) return ["Enter the JWKS URL as an absolute URL such as https://auth.example.com/.well-known/jwks.json."];
  const transport = secureTransportProblem(url, "The JWKS URL");
  const problems = transport ? [transport] : [];
  if (text.includes("#")) problems.push("Remove the fragment (#…).");
  return problems;
}
