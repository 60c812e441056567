import { spawn } from "node:child_process";
import { expect } from "@playwright/test";

export const HAPROXY = process.env.HAPROXY_PATH ?? "/usr/sbin/haproxy";
/** The load balancer configuration operators are given; the tests run this very file. */
export const HAPROXY_CONFIG = "deploy/haproxy.cfg";

/** One request as HAProxy logged it (option httplog). */
export type ServedRequest = { backend: string; server: string; status: number; method: string; path: string };

export type LoadBalancer = {
  url: string;
  /** Every request logged so far, with the instance that served it. */
  served: () => ServedRequest[];
  /** Each instance's health as HAProxy sees it ("UP", "DOWN", …), by server name. */
  health: () => Promise<Record<string, string>>;
  output: () => string;
  stop: () => Promise<void>;
};

// 127.0.0.1:40522 [02/Dec/2026:02:30:00.123] warden dashboards/dashboard1 0/0/0/5/5 200 123 - - ---- 1/1/0/0/0 0/0 "POST /prod/servers HTTP/1.1"
const LOG_LINE = /\] \S+ ([\w-]+)\/([\w-]+) \S+ (\d{3}) .*"(\w+) (\S+) HTTP/;

/**
 * Runs HAProxy with deploy/haproxy.cfg, the addresses given through the
 * environment variables that file reads, logging every request. Resolves
 * once every instance behind it passes its health check.
 */
export async function startLoadBalancer(addresses: {
  bind: string;
  stats: string;
  dashboards: [string, string];
  dataPlanes: [string, string];
}): Promise<LoadBalancer> {
  const env = {
    ...process.env,
    WARDEN_LB_BIND: addresses.bind,
    WARDEN_LB_STATS_BIND: addresses.stats,
    WARDEN_LB_LOG_LEVEL: "info",
    WARDEN_DASHBOARD_1: addresses.dashboards[0],
    WARDEN_DASHBOARD_2: addresses.dashboards[1],
    WARDEN_DATA_PLANE_1: addresses.dataPlanes[0],
    WARDEN_DATA_PLANE_2: addresses.dataPlanes[1],
  };
  // -db: in the foreground, so it ends with this process and logs to its stdout.
  const child = spawn(HAPROXY, ["-db", "-f", HAPROXY_CONFIG], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const statsUrl = `http://${addresses.stats}/stats;csv`;

  async function health(): Promise<Record<string, string>> {
    if (child.exitCode !== null) throw new Error(`HAProxy exited:\n${output}`);
    const csv = await fetch(statsUrl).then((response) => response.text(), () => "");
    const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
    if (!header) return {};
    const columns = header.split(",");
    const at = (name: string) => columns.indexOf(name);
    const result: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(",");
      const server = cells[at("svname")]!;
      if (server !== "FRONTEND" && server !== "BACKEND") result[server] = cells[at("status")]!;
    }
    return result;
  }

  const names = ["dashboard1", "dashboard2", "data_plane1", "data_plane2"];
  await expect
    .poll(async () => {
      const status = await health();
      return names.every((name) => status[name] === "UP");
    }, { timeout: 30_000, message: "HAProxy sees every instance up" })
    .toBe(true);

  return {
    url: `http://${addresses.bind}`,
    served: () =>
      output
        .split("\n")
        .map((line) => LOG_LINE.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map(([, backend, server, status, method, path]) => ({ backend: backend!, server: server!, status: Number(status), method: method!, path: path! })),
    health,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
