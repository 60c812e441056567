import "server-only";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

type RuntimeSecrets = { sessionSecret?: string; encryptionKey?: string };

/** Each secret Warden needs: the variable that sets it, and its name in the generated file. */
const SECRETS = [
  { variable: "NEXTAUTH_SECRET", field: "sessionSecret", purpose: "signs session cookies" },
  { variable: "WARDEN_ENCRYPTION_KEY", field: "encryptionKey", purpose: "encrypts signing keys at rest" },
] as const;

/**
 * The session secret (NEXTAUTH_SECRET) and the encryption key for secrets at
 * rest (WARDEN_ENCRYPTION_KEY). Whichever is unset (the embedded, try-it-out
 * default) is generated once and kept in the data directory, readable by this
 * user only, so sessions and signing keys survive restarts. Several instances
 * must share them, so a production deployment sets both.
 * Returns the variables that were generated or taken from the file.
 */
export function loadRuntimeSecrets(file: string, env: Record<string, string | undefined> = process.env): string[] {
  const missing = SECRETS.filter((secret) => !env[secret.variable]);
  if (!missing.length) return [];
  const stored: RuntimeSecrets = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RuntimeSecrets) : {};
  let changed = false;
  for (const secret of missing) {
    if (!stored[secret.field]) {
      stored[secret.field] = randomBytes(32).toString("base64url");
      changed = true;
    }
    env[secret.variable] = stored[secret.field];
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return missing.map((secret) => `${secret.variable} (${secret.purpose})`);
}
