import { spawn } from "node:child_process";

export type ReferenceServerProcess = { url: string; output: () => string; stop: () => Promise<void> };

/**
 * Starts examples/reference-mcp-server as its own process, in enforcing mode
 * when WARDEN_URL is in `env` (see enforcementFromEnv there). Resolves once it
 * listens.
 */
export async function startReferenceServerProcess(port: number, env: Record<string, string>): Promise<ReferenceServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/reference-mcp-server/server.ts"], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`The reference MCP server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("reference MCP server on")) {
        clearTimeout(timeout);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => reject(new Error(`The reference MCP server exited:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
