// Any fixed origin works: it only serves to tell same-site paths from links elsewhere.
const BASE = "http://warden.invalid";

/** Only same-site paths: an open redirect after sign-in would be a phishing aid. */
export function safeCallbackPath(value: unknown, fallback = "/"): string {
  if (typeof value !== "string" || !value.startsWith("/")) return fallback;
  // Resolve it as a browser will: URL parsing drops tabs and newlines and reads
  // "\" as "/", so prefix checks alone let "/\t/evil.example" through as
  // "//evil.example", a link to another site.
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  if (url.pathname.startsWith("/login") || url.pathname.startsWith("/setup")) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
