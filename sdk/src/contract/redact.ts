/**
 * Secrets must never reach the audit trail, whoever sends them. Keys that name
 * a secret have their value replaced; strings that look like bearer tokens or
 * Warden API keys are masked wherever they appear.
 */
// Matched against the key lower-cased without "-" and "_", at its end: "clientSecret",
// "access_token" and "X-Api-Key" are secrets; "bypass" and "passengers" are not.
// Numbers and booleans are never secrets, which keeps counts such as "inputTokens".
const SECRET_KEY = /(^pass|password|passwd|passphrase|secrets?|tokens?|authorization|apikey|cookies?|privatekey|credentials?|sessionid)$/;
// Case-insensitive: HTTP auth schemes are ("bearer …" is as much a token as "Bearer …").
const SECRET_VALUE = /\b(wdn_[a-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9_-]+|Bearer\s+[A-Za-z0-9._~+/-]+=*|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/gi;
export const REDACTED = "[redacted]";

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ""));
}

export function redactSecrets<T>(value: T): T {
  return redact(value, 0) as T;
}

function redact(value: unknown, depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (typeof value === "string") return value.replace(SECRET_VALUE, REDACTED);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      out[key] = isSecretKey(key) && member != null && member !== "" && typeof member !== "number" && typeof member !== "boolean" ? REDACTED : redact(member, depth + 1);
    }
    return out;
  }
  return value;
}
