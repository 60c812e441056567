/**
 * The fleet, measured (design §6): N simulated MCP-server instances, each a
 * real SDK config poller with its own instance id at the SDK's cadence
 * (10–20 s), spread over several worker processes, all sharing one API key
 * against a standalone data plane (data-plane.ts, its own process, production
 * mode and limits) on a scratch PostgreSQL database. Mid-run, a new version
 * is published and the benchmark times when each instance applies it.
 *
 * Prints polls/s, 429s and 5xx (targets: 0 and 0), poll latency p50/p99, and
 * publish → applied p50/p95 (target p95 under the poll interval plus 2 s).
 *
 * `--outage` also runs SDK audit reporters throughout and makes the database
 * unreachable for 20 s in the middle. Then: 0 5xx on config, every instance
 * keeps its config, and every recorded event is in the table once the
 * reporters have flushed, with the hash chain intact (the check behind
 * `npm run audit:verify`).
 *
 *   npm run bench:fleet [-- --instances 1000 --workers 4 --outage]
 *   npm run bench:fleet -- --quick     (a 2–4 s cadence, for a short run)
 *
 * Everything runs on loopback; the run is bounded (each phase has a deadline).
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import type { JSONWebKeySet } from "jose";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { verifyAuditChain } from "@/lib/audit/verify";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner, publicJwks } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { startPartitionProxy } from "@/lib/db/partition-proxy";
import { freeLoopbackPort } from "@/lib/http/testing";
import { fmt, openBenchDatabase, percentile } from "./audit-setup";
import type { FleetWorkerInput, FleetWorkerProgress, FleetWorkerResult, PollSample } from "./fleet-worker";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "1000" },
    workers: { type: "string", default: "4" },
    quick: { type: "boolean", default: false },
    outage: { type: "boolean", default: false },
    "outage-seconds": { type: "string", default: "20" },
    "steady-seconds": { type: "string" },
    reporters: { type: "string", default: "5" },
    "events-per-second": { type: "string", default: "20" },
  },
});
const instanceCount = Number(values.instances);
const workerCount = Math.max(1, Math.min(Number(values.workers), instanceCount));
// The SDK's own cadence unless --quick.
const pollIntervalMs: [number, number] = values.quick ? [2_000, 4_000] : [10_000, 20_000];
const firstPollMaxDelayMs = values.quick ? 1_000 : 2_000;
const steadyMs = Number(values["steady-seconds"] ?? pollIntervalMs[1] / 1000 * 2) * 1000;
const outageMs = Number(values["outage-seconds"]) * 1000;
const ENCRYPTION_SECRET = "fleet benchmark encryption key, long enough";
const SERVER_NAME = "orders-mcp";

function log(message: string) {
  console.log(`[fleet] ${message}`);
}

async function startDataPlaneProcess(databaseUrl: string, port: number): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "data-plane.ts"], {
    env: { ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: databaseUrl, WARDEN_ENCRYPTION_KEY: ENCRYPTION_SECRET },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`The data plane did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving the data plane on (\S+)/.exec(output);
      if (match) {
        clearTimeout(timeout);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`The data plane exited:\n${output}`)));
  });
  return { url, child, output: () => output };
}

/** Waits for a condition, checking every 250 ms; false when the deadline passed first. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return true;
}

// A small, realistic policy: one server, a few tools and roles, one approved agent.
const database = await openBenchDatabase({ pglite: false });
const { db } = database;
const encryptionKey = encryptionKeyFrom(ENCRYPTION_SECRET);
const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
const admin = await db.admin.create({ data: { email: "fleet-bench@example.com", role: "OWNER" } });
const actor = { id: admin.id, email: admin.email };
const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: SERVER_NAME, resourceUri: "https://orders.example.com/mcp", authorizationServer: "https://idp.example.com" } });
const role = await db.role.create({ data: { environmentId: environment.id, name: "support", claimName: "groups", claimValue: "support" } });
const tools = await Promise.all(["lookup_order", "cancel_order", "refund_order"].map((name) => db.tool.create({ data: { serverId: server.id, name } })));
await db.grant.create({ data: { roleId: role.id, toolId: tools[0]!.id, requiredScopes: ["orders:read"] } });
await db.client.create({ data: { environmentId: environment.id, clientId: "https://agent.example/client.json", status: "APPROVED" } });
await ensureSigningKey(db, encryptionKey);
const signer = await loadSigner(db, encryptionKey);
await publishConfig(db, actor, environment.id, { note: "fleet benchmark" }, signer);
// One key for the whole fleet: the case the per-key limit must be sized for.
const { token: apiKey } = await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "fleet", serverId: server.id }));
const jwks = (await publicJwks(db)) as JSONWebKeySet;

// The outage stands in for a stopped database without stopping the machine's
// PostgreSQL (other work uses it): the data plane reaches PostgreSQL only
// through this TCP proxy, and cutting it drops every open connection and
// refuses new ones, as a database that went away would.
const proxy = await startPartitionProxy(database.url);
const plane = await startDataPlaneProcess(proxy.url, await freeLoopbackPort());
log(`data plane ${plane.url} (its own process, NODE_ENV=production, default limits); database ${database.label}${values.outage ? ", reached through a TCP proxy that the outage cuts" : ""}`);

const workers: ChildProcess[] = [];
const progress = new Map<number, FleetWorkerProgress>();
const results = new Map<number, FleetWorkerResult>();
const reporters = values.outage ? Number(values.reporters) : 0;
let cleanedUp = false;
async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const worker of workers) if (worker.exitCode === null) worker.kill("SIGKILL");
  if (plane.child.exitCode === null) plane.child.kill("SIGTERM");
  await new Promise((resolve) => (plane.child.exitCode === null ? plane.child.once("exit", resolve) : resolve(null)));
  await proxy.close();
  await database.close();
}

try {
  for (let index = 0; index < workerCount; index++) {
    const instances = Math.floor(instanceCount / workerCount) + (index < instanceCount % workerCount ? 1 : 0);
    const worker = fork("bench/fleet-worker.ts", [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    worker.on("message", (message: FleetWorkerProgress | FleetWorkerResult) => {
      if (message.type === "progress") progress.set(index, message);
      else results.set(index, message);
    });
    const input: FleetWorkerInput = {
      url: plane.url,
      apiKey,
      jwks,
      server: SERVER_NAME,
      workerIndex: index,
      instances,
      pollIntervalMs,
      firstPollMaxDelayMs,
      reporters,
      eventsPerSecondPerReporter: Number(values["events-per-second"]),
    };
    worker.send({ type: "start", ...input });
    workers.push(worker);
  }
  const countAt = (version: number) => [...progress.values()].reduce((sum, p) => sum + (p.versions[String(version)] ?? 0), 0);
  const auditQueued = () => [...progress.values()].reduce((sum, p) => sum + p.auditQueued, 0);

  log(`${fmt(instanceCount)} instances in ${workerCount} processes, polling every ${pollIntervalMs[0] / 1000}–${pollIntervalMs[1] / 1000} s${reporters ? `; ${reporters * workerCount} audit reporters, ${values["events-per-second"]} events/s each` : ""}`);
  // Workers take a few seconds to load on a busy machine; the fleet's clock starts once they run.
  if (!(await waitFor(() => progress.size === workerCount, 60_000))) throw new Error("The workers did not start within 60 s.");
  // Bounded: a fleet held back by 429s is reported, not waited for.
  const startDeadlineMs = firstPollMaxDelayMs + pollIntervalMs[1] * 2;
  const started = await waitFor(() => progress.size === workerCount && countAt(1) === instanceCount, startDeadlineMs);
  const measureFrom = Date.now();
  log(`${started ? "every instance" : `only ${fmt(countAt(1))} of ${fmt(instanceCount)} instances`} applied version 1${started ? "" : ` within ${startDeadlineMs / 1000} s`}; steady polling for ${steadyMs / 1000} s`);
  await new Promise((resolve) => setTimeout(resolve, steadyMs));

  await db.tool.update({ where: { id: tools[1]!.id }, data: { description: "Cancels an order that has not shipped" } });
  await db.grant.create({ data: { roleId: role.id, toolId: tools[1]!.id, requiredScopes: ["orders:write"] } });
  const published = await publishConfig(db, actor, environment.id, { note: "mid-run change" }, signer);
  const publishedAt = Date.now();
  const applyDeadlineMs = pollIntervalMs[1] + 15_000;
  const allApplied = await waitFor(() => countAt(published.version) === instanceCount, applyDeadlineMs);
  log(`published version ${published.version}; ${countAt(published.version)} of ${instanceCount} instances applied it${allApplied ? "" : ` within ${applyDeadlineMs / 1000} s`}`);

  let outageWindow: [number, number] | null = null;
  if (values.outage) {
    // Long enough into the run that the fleet is polling steadily, and the reporters have sent some.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    log(`database unreachable for ${outageMs / 1000} s`);
    const start = Date.now();
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    proxy.heal();
    outageWindow = [start, Date.now()];
    log("database reachable again; waiting for the reporters to deliver what they held");
    // The SDK backs off up to 60 s between attempts; one full poll interval more shows the fleet after recovery.
    await Promise.all([waitFor(() => auditQueued() === 0, 90_000), new Promise((resolve) => setTimeout(resolve, pollIntervalMs[1]))]);
  }
  const measureTo = Date.now();

  for (const worker of workers) worker.send({ type: "stop" });
  if (!(await waitFor(() => results.size === workerCount, 60_000))) throw new Error("The workers did not report back within 60 s.");
  const all = [...results.values()];

  const polls: PollSample[] = all.flatMap((result) => result.polls);
  const window = polls.filter(([at]) => at >= measureFrom && at <= measureTo);
  const latencies = window.map(([, , latency]) => latency).sort((a, b) => a - b);
  const byStatus = (samples: PollSample[]) => {
    const counts: Record<string, number> = {};
    for (const [, status] of samples) counts[status === 0 ? "no answer" : String(status)] = (counts[status === 0 ? "no answer" : String(status)] ?? 0) + 1;
    return counts;
  };
  const count = (samples: PollSample[], test: (status: number) => boolean) => samples.filter(([, status]) => test(status)).length;
  const tooMany = count(polls, (status) => status === 429);
  const serverErrors = count(polls, (status) => status >= 500);
  const noAnswer = count(polls, (status) => status === 0);

  const appliedAt = all.flatMap((result) => result.applied[published.version] ?? []);
  const applyDelays = appliedAt.map((at) => (at - publishedAt) / 1000).sort((a, b) => a - b);
  const applyP95 = percentile(applyDelays, 0.95);
  const applyTarget = pollIntervalMs[1] / 1000 + 2;
  const finalVersions = all.flatMap((result) => result.finalVersions);
  const withoutConfig = finalVersions.filter((version) => version === null).length;

  console.log("");
  console.log(`instances                ${fmt(instanceCount)} (${workerCount} processes), one API key, SDK cadence ${pollIntervalMs[0] / 1000}–${pollIntervalMs[1] / 1000} s`);
  console.log(`config polls             ${fmt(window.length)} in ${fmt((measureTo - measureFrom) / 1000, 1)} s = ${fmt(window.length / ((measureTo - measureFrom) / 1000), 1)} polls/s   ${JSON.stringify(byStatus(window))}`);
  console.log(`poll latency             p50 ${fmt(percentile(latencies, 0.5), 2)} ms   p99 ${fmt(percentile(latencies, 0.99), 2)} ms   max ${fmt(latencies.at(-1) ?? 0, 2)} ms`);
  console.log(`429s (whole run)         ${fmt(tooMany)}   (target 0) ${tooMany === 0 ? "PASS" : "FAIL"}`);
  console.log(`5xx on config (whole run) ${fmt(serverErrors)}   (target 0) ${serverErrors === 0 ? "PASS" : "FAIL"}${noAnswer ? `   (${fmt(noAnswer)} polls got no answer at all)` : ""}`);
  console.log(
    `publish → applied        p50 ${fmt(percentile(applyDelays, 0.5), 1)} s   p95 ${fmt(applyP95, 1)} s   max ${fmt(applyDelays.at(-1) ?? 0, 1)} s   (${fmt(appliedAt.length)} of ${fmt(instanceCount)} applied; target p95 < ${applyTarget} s) ${appliedAt.length === instanceCount && applyP95 < applyTarget ? "PASS" : "FAIL"}`,
  );
  let pass = tooMany === 0 && serverErrors === 0 && appliedAt.length === instanceCount && applyP95 < applyTarget;

  if (outageWindow) {
    const during = polls.filter(([at]) => at >= outageWindow[0] && at <= outageWindow[1]);
    const duringErrors = count(during, (status) => status >= 500 || status === 0);
    console.log(`during the ${outageMs / 1000} s outage   ${fmt(during.length)} polls ${JSON.stringify(byStatus(during))}: ${duringErrors === 0 ? "PASS" : "FAIL"} (0 5xx on config)`);
    console.log(`config kept              ${fmt(instanceCount - withoutConfig)} of ${fmt(instanceCount)} instances hold a verified config at the end (versions ${JSON.stringify([...new Set(finalVersions)])}) ${withoutConfig === 0 ? "PASS" : "FAIL"}`);

    const audit = all.reduce(
      (sum, result) => {
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += result.audit[key];
        return sum;
      },
      { recorded: 0, sent: 0, duplicates: 0, rejected: 0, dropped: 0, queued: 0, failedAttempts: 0 },
    );
    const [counted] = await db.$queryRaw<{ rows: bigint }[]>`SELECT count(*) AS rows FROM "AuditEvent" WHERE "environmentId" = ${environment.id} AND "source" = 'mcp'`;
    const stored = Number(counted?.rows ?? 0);
    const chain = await verifyAuditChain(db, environment.id);
    const auditPass = stored === audit.recorded && audit.sent === audit.recorded && audit.dropped === 0 && audit.rejected === 0 && chain.ok;
    console.log(
      `audit events             ${fmt(audit.recorded)} recorded, ${fmt(audit.sent)} accepted (202), ${fmt(audit.duplicates)} duplicates, ${fmt(audit.failedAttempts)} failed attempts retried, ${fmt(audit.dropped)} dropped; ${fmt(stored)} rows in the table ${stored === audit.recorded ? "(none lost)" : "(MISMATCH)"}`,
    );
    console.log(`audit chain              ${chain.ok ? `intact, ${fmt(chain.checked)} events verified` : `BROKEN at ${chain.broken.id}: ${chain.broken.problem}`} ${auditPass ? "PASS" : "FAIL"}`);
    pass &&= duringErrors === 0 && withoutConfig === 0 && auditPass;
  }
  const failures = [...new Set(all.flatMap((result) => result.failures))];
  if (failures.length) log(`failures: ${failures.join("; ")}`);
  if (serverErrors || tooMany || noAnswer) {
    const lines = plane.output().split("\n").filter(Boolean);
    log(`the data plane's last log lines:\n${lines.slice(-15).join("\n")}`);
  }
  console.log(`\nfleet: ${pass ? "PASS" : "FAIL"}`);
  await cleanUp();
  process.exit(pass ? 0 : 1);
} catch (error) {
  console.error(error);
  await cleanUp();
  process.exit(2);
}
