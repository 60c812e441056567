/**
 * One process of bench/fleet.ts's simulated fleet: `instances` real SDK
 * config pollers (WardenClient, each with its own instance id, at the SDK's
 * cadence) and `reporters` real SDK audit reporters, all against one Warden
 * URL. Started by bench/fleet.ts with fork(); talks to it over IPC:
 *   ← {type: "start", …FleetWorkerInput}
 *   → {type: "progress", …} every second
 *   ← {type: "stop"}  → {type: "result", …FleetWorkerResult}
 */
import type { JSONWebKeySet } from "jose";
import { AuditReporter } from "@/sdk/src/audit";
import { WardenClient } from "@/sdk/src/client";

export type FleetWorkerInput = {
  url: string;
  apiKey: string;
  jwks: JSONWebKeySet;
  server: string;
  workerIndex: number;
  instances: number;
  pollIntervalMs: [number, number];
  firstPollMaxDelayMs: number;
  reporters: number;
  eventsPerSecondPerReporter: number;
};

/** One config poll as an instance saw it: when it ended, its HTTP status (0: no answer), how long it took. */
export type PollSample = [endedAtMs: number, status: number, latencyMs: number];

export type FleetWorkerProgress = { type: "progress"; versions: Record<string, number>; auditQueued: number };

export type FleetWorkerResult = {
  type: "result";
  polls: PollSample[];
  /** When each instance applied each version (wall clock, ms). */
  applied: Record<string, number[]>;
  /** The version each instance holds at the end (null: never had a verified config). */
  finalVersions: (number | null)[];
  /** Why polls got no answer, or a config was refused: a few distinct reasons. */
  failures: string[];
  audit: { recorded: number; sent: number; duplicates: number; rejected: number; dropped: number; queued: number; failedAttempts: number };
};

const silent = { info() {}, warn() {}, error() {} };

function run(input: FleetWorkerInput) {
  const polls: PollSample[] = [];
  const applied: Record<string, number[]> = {};
  const failures = new Set<string>();
  // Times every poll as the SDK makes it, without changing what it does.
  const timedFetch: typeof fetch = async (url, init) => {
    const started = performance.now();
    try {
      const response = await fetch(url, init);
      polls.push([Date.now(), response.status, performance.now() - started]);
      return response;
    } catch (error) {
      polls.push([Date.now(), 0, performance.now() - started]);
      if (failures.size < 5) failures.add(error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}` : String(error));
      throw error;
    }
  };
  const clients = Array.from(
    { length: input.instances },
    (_, i) =>
      new WardenClient({
        url: input.url,
        apiKey: input.apiKey,
        jwks: input.jwks,
        instanceId: `fleet-${input.workerIndex}-${String(i).padStart(4, "0")}`,
        pollIntervalMs: input.pollIntervalMs,
        firstPollMaxDelayMs: input.firstPollMaxDelayMs,
        logger: silent,
        fetch: timedFetch,
        onConfigApplied: (config) => (applied[config.version] ??= []).push(Date.now()),
        onConfigRefused: (refusal) => failures.size < 5 && failures.add(`config refused (${refusal.reason}): ${refusal.message}`),
      }),
  );
  for (const client of clients) void client.start();

  let recorded = 0;
  const reporters = Array.from({ length: input.reporters }, () => new AuditReporter({ url: input.url, apiKey: input.apiKey, flushIntervalMs: 1_000, logger: silent }));
  const recordEvery = 1_000 / Math.max(0.001, input.eventsPerSecondPerReporter);
  const recording = reporters.map((reporter, r) =>
    setInterval(() => {
      const version = clients[r % clients.length]?.version ?? null;
      reporter.record({ actor: `user-${r}`, action: "tool.call", decision: "allow", server: input.server, tool: "lookup_order", configVersion: version, clientId: "https://agent.example/client.json" });
      recorded++;
    }, recordEvery),
  );

  const progress = setInterval(() => {
    const versions: Record<string, number> = {};
    for (const client of clients) versions[String(client.version)] = (versions[String(client.version)] ?? 0) + 1;
    const auditQueued = reporters.reduce((sum, reporter) => sum + reporter.stats().queued + reporter.stats().inFlight, 0);
    process.send!({ type: "progress", versions, auditQueued } satisfies FleetWorkerProgress);
  }, 1_000);

  return async function stop(): Promise<FleetWorkerResult> {
    clearInterval(progress);
    for (const timer of recording) clearInterval(timer);
    for (const client of clients) client.close();
    await Promise.all(reporters.map((reporter) => reporter.close()));
    const stats = reporters.map((reporter) => reporter.stats());
    const sum = (pick: (s: (typeof stats)[number]) => number) => stats.reduce((total, s) => total + pick(s), 0);
    return {
      type: "result",
      polls,
      applied,
      finalVersions: clients.map((client) => client.version),
      failures: [...failures],
      audit: {
        recorded,
        sent: sum((s) => s.sent),
        duplicates: sum((s) => s.duplicates),
        rejected: sum((s) => s.dropped.rejected),
        dropped: sum((s) => s.dropped.total),
        queued: sum((s) => s.queued + s.inFlight),
        failedAttempts: sum((s) => s.failedAttempts),
      },
    };
  };
}

let stop: (() => Promise<FleetWorkerResult>) | null = null;
process.on("message", (message: { type: "start" } & FleetWorkerInput | { type: "stop" }) => {
  if (message.type === "start") stop = run(message);
  else if (message.type === "stop" && stop) void stop().then((result) => process.send!(result, () => process.exit(0)));
});
// The benchmark going away ends the fleet too.
process.on("disconnect", () => process.exit(0));
