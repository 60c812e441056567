import { spawn } from "node:child_process";

export type GatewayProcess = { output: () => string; stop: () => Promise<void> };

/** Starts `gateway.ts` as its own process, as `npm run gateway` does; resolves once it listens. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  const child = spawn(process.execPath, ["--import", "tsx", "gateway.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`The gateway did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/\[warden-gateway\] serving /.test(output)) {
        clearTimeout(timeout);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => reject(new Error(`The gateway exited:\n${output}`)));
  });
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
