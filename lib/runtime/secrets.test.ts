import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRuntimeSecrets } from "./secrets";

describe("runtime secrets", () => {
  it("generates what the environment lacks once, readable by this user only, and reuses it after a restart", () => {
    const file = join(mkdtempSync(join(tmpdir(), "warden-secrets-")), "secrets.json");
    const first: Record<string, string | undefined> = {};
    expect(loadRuntimeSecrets(file, first)).toHaveLength(2);
    expect(first.NEXTAUTH_SECRET).toMatch(/^[\w-]{43}$/);
    expect(first.WARDEN_ENCRYPTION_KEY).toMatch(/^[\w-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const restart: Record<string, string | undefined> = {};
    loadRuntimeSecrets(file, restart);
    expect(restart).toEqual(first);
  });

  it("leaves secrets set in the environment alone and writes nothing for them", () => {
    const file = join(mkdtempSync(join(tmpdir(), "warden-secrets-")), "secrets.json");
    const env: Record<string, string | undefined> = { NEXTAUTH_SECRET: "from-env", WARDEN_ENCRYPTION_KEY: "also-from-env-and-long-enough-0123456789" };
    expect(loadRuntimeSecrets(file, env)).toEqual([]);
    expect(env.NEXTAUTH_SECRET).toBe("from-env");
    expect(() => readFileSync(file)).toThrow();
  });
});
