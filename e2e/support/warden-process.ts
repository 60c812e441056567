import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "@playwright/test";

export type WardenProcess = { url: string; output: () => string; stop: () => Promise<void> };

/**
 * Starts another Warden server from the production build the suite already
 * made (server.ts directly, so it never rebuilds under the main test server).
 * Resolves once it answers /healthz.
 */
export async function startWarden(port: number, env: Record<string, string | undefined>): Promise<WardenProcess> {
  const url = `http://localhost:${port}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", PORT: String(port), NEXTAUTH_URL: url };
  // The suite's own server settings must not leak into this one.
  for (const name of ["WARDEN_ADMIN_EMAIL", "WARDEN_ADMIN_PASSWORD", "DATABASE_URL", "NEXTAUTH_SECRET", "WARDEN_OIDC_ISSUER", "WARDEN_DATA_DIR"]) delete childEnv[name];
  Object.assign(childEnv, env);
  // Never the repository's own ./data: generated secrets and any embedded database stay with the test.
  childEnv.WARDEN_DATA_DIR ??= mkdtempSync(join(tmpdir(), "warden-e2e-instance-"));
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  await expect
    .poll(
      async () => {
        if (child.exitCode !== null) throw new Error(`Warden on port ${port} exited:\n${output}`);
        return fetch(`${url}/healthz`).then((response) => response.status, () => 0);
      },
      { timeout: 120_000, message: `Warden on port ${port} becomes healthy` },
    )
    .toBe(200);

  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Starts a standalone data plane (data-plane.ts) on a database a Warden
 * server has already prepared (migrated, signing key made). Resolves once it
 * listens.
 */
export async function startDataPlane(port: number, env: Record<string, string>): Promise<WardenProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", PORT: String(port), ...env };
  const child = spawn(process.execPath, ["--import", "tsx", "data-plane.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`The data plane on port ${port} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("serving the data plane on")) {
        clearTimeout(timeout);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => reject(new Error(`The data plane on port ${port} exited:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
