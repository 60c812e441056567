/**
 * The gateway's overhead: `tools/call` of a trivial tool (server-everything's
 * echo) sent straight to the upstream and through the gateway, in the same
 * run, alternating, with the same load generator (50 concurrent keep-alive
 * connections). Prints each round and the medians: throughput through the
 * gateway as a share of direct (target ≥ 0.8) and the p50 latency it adds
 * (target < 1 ms). Each round also says how much CPU the gateway, the
 * upstream and the load generator spent per call (from /proc): on a shared
 * machine the throughput ratio is noisy, the gateway's CPU per call is not.
 *
 *   npm run bench:gateway            # 5 rounds of 5 s each way
 *   BENCH_ROUNDS=3 BENCH_SECONDS=3 npm run bench:gateway
 *
 * Needs the PostgreSQL the unit tests use (a scratch database holds the
 * Warden config the gateway enforces).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { startTokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { AGENT, startWardenFixture } from "../sdk/test/warden-fixture";

const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 5));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const PROTOCOL = "2025-06-18";

type Round = { rps: number; p50: number; p99: number; errors: number; calls: number };

/** CPU seconds a process has used so far (user + system), from /proc; null where there is no /proc. */
function cpuSeconds(pid: number | undefined, only?: "system"): number | null {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((only === "system" ? 0 : Number(fields[11])) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The load generator's own CPU seconds so far. */
function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Runs one measurement and says how much CPU each process spent per call meanwhile (microseconds). */
async function metered(measure: () => Promise<Round>, pids: { gateway?: number; upstream?: number }) {
  const before = { gateway: cpuSeconds(pids.gateway), gatewaySystem: cpuSeconds(pids.gateway, "system"), upstream: cpuSeconds(pids.upstream), generator: ownCpuSeconds() };
  const round = await measure();
  const perCall = (start: number | null, end: number | null) => (start === null || end === null || !round.calls ? null : ((end - start) / round.calls) * 1e6);
  return {
    round,
    cpu: { gateway: perCall(before.gateway, cpuSeconds(pids.gateway)), gatewaySystem: perCall(before.gatewaySystem, cpuSeconds(pids.gateway, "system")), upstream: perCall(before.upstream, cpuSeconds(pids.upstream)), generator: perCall(before.generator, ownCpuSeconds()) },
  };
}

const us = (value: number | null) => (value === null ? "n/a" : `${Math.round(value)} µs`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp, nodeArgs: string[] = []): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`${args[0]} exited:\n${output}`)));
  });
}

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": PROTOCOL, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** 50 loops of tools/call echo for SECONDS; an answer that is not the echo counts as an error. */
async function load(url: URL, headers: Record<string, string>): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  let id = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "echo", arguments: { message: "ping" } } });
        const t0 = process.hrtime.bigint();
        const answer = await post(agent, url, headers, body);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (answer.status !== 200 || !answer.text.includes("Echo: ping")) errors++;
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: Math.round(latencies.length / ((Date.now() - started) / 1000)), p50: at(0.5), p99: at(0.99), errors, calls: latencies.length };
}

/**
 * Warden as the gateway sees it: config and keys from the real data plane,
 * and an audit endpoint that counts the events and answers 202 as Warden
 * does without storing them. Storing them is Warden's cost, not the
 * gateway's (bench:audit-ingest measures it), and on a 2-core machine it would
 * run beside the gateway and the upstream and be charged to the gateway.
 */
async function wardenFront(base: string): Promise<{ url: string; events: () => number; close: () => void }> {
  let events = 0;
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.url?.startsWith("/api/v1/audit-events")) {
      const raw = req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
      const count = (JSON.parse(raw.toString("utf8")) as { events: unknown[] }).events.length;
      events += count;
      res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted: count, duplicates: 0, rejected: [] }));
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)).map(([name, value]) => [name, String(value)]));
    // A config poll may still arrive while the data plane shuts down at the end of the run.
    const answer = await fetch(`${base}${req.url}`, { method: req.method, headers, body: req.method === "GET" ? undefined : body }).catch(() => null);
    if (!answer) return void res.writeHead(503).end();
    const out = Buffer.from(await answer.arrayBuffer());
    const passed = Object.fromEntries([...answer.headers].filter(([name]) => !["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name)));
    res.writeHead(answer.status, passed).end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, events: () => events, close: () => server.close() };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const warden = await startWardenFixture();
  const children: ChildProcess[] = [];
  try {
    // The fixture's analyst may call echo once it is a tool of the server with a grant; published as version 2.
    await warden.publish(async (db) => {
      const server = await db.mcpServer.findFirstOrThrow();
      const echo = await db.tool.create({ data: { serverId: server.id, name: "echo" } });
      await db.grant.create({ data: { roleId: warden.analyst.id, toolId: echo.id } });
    });
    const front = await wardenFront(warden.base);
    const issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:sales.read"] });
    issuer.setClaims(AGENT, { groups: ["sales-analysts"] });

    const upstream = await startChild(["bench/gateway-upstream.ts"], {}, /upstream (\S+)/);
    children.push(upstream.child);
    const upstreamUrl = new URL(upstream.match[1]!);
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const gateway = await startChild(
      ["gateway.ts"],
      { WARDEN_URL: front.url, WARDEN_API_KEY: warden.apiKey, WARDEN_JWKS: JSON.stringify(warden.jwks), GATEWAY_RESOURCE: resource, GATEWAY_PORT: String(port), OAUTH_ISSUER: issuer.issuer, UPSTREAM_URL: upstreamUrl.href },
      /\[warden-gateway\] serving /,
      // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to profile the gateway alone.
      (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter(Boolean),
    );
    children.push(gateway.child);
    const token = await issuer.token(AGENT, { resource, scope: "tools:sales.read" });

    // Direct: one initialized session with the upstream, as the gateway itself holds.
    const setup = new Agent({ keepAlive: true });
    const init = await post(setup, upstreamUrl, {}, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "bench", version: "1" } } }));
    const session = String(init.headers["mcp-session-id"]);
    await post(setup, upstreamUrl, { "mcp-session-id": session }, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    setup.destroy();
    const direct = () => load(upstreamUrl, { "mcp-session-id": session });
    const through = () => load(new URL(resource), { authorization: `Bearer ${token}` });

    // The gateway's config arrives with its first poll (within 2 s); warm both paths up.
    for (let attempt = 0; attempt < 50; attempt++) {
      const probe = await post(new Agent(), new URL(resource), { authorization: `Bearer ${token}` }, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "ping" } } }));
      if (probe.text.includes("Echo: ping")) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await direct();
    await through();

    const ratios: number[] = [];
    const added: number[] = [];
    const pids = { gateway: gateway.child.pid, upstream: upstream.child.pid };
    const gatewayCpu: number[] = [];
    const upstreamCpu: number[] = [];
    console.log(`tools/call echo, ${CONCURRENCY} concurrent, ${SECONDS} s per measurement, ${ROUNDS} alternating rounds`);
    for (let round = 1; round <= ROUNDS; round++) {
      const { round: a, cpu: directCpu } = await metered(direct, pids);
      const { round: b, cpu } = await metered(through, pids);
      if (cpu.gateway !== null) gatewayCpu.push(cpu.gateway);
      if (directCpu.upstream !== null) upstreamCpu.push(directCpu.upstream);
      ratios.push(b.rps / a.rps);
      added.push(b.p50 - a.p50);
      console.log(
        `round ${round}: direct ${a.rps} calls/s p50 ${a.p50.toFixed(2)} ms p99 ${a.p99.toFixed(2)} ms (errors ${a.errors}) | gateway ${b.rps} calls/s p50 ${b.p50.toFixed(2)} ms p99 ${b.p99.toFixed(2)} ms (errors ${b.errors}) | ratio ${(b.rps / a.rps).toFixed(3)}, added p50 ${(b.p50 - a.p50).toFixed(2)} ms`,
      );
      console.log(
        `  CPU per call: direct: upstream ${us(directCpu.upstream)}, generator ${us(directCpu.generator)} | through: gateway ${us(cpu.gateway)} (in the kernel ${us(cpu.gatewaySystem)}), upstream ${us(cpu.upstream)}, generator ${us(cpu.generator)}`,
      );
    }
    const ratio = median(ratios);
    const addedP50 = median(added);
    console.log(`median throughput ratio (gateway / direct): ${ratio.toFixed(3)} (target ≥ 0.8) ${ratio >= 0.8 ? "PASS" : "FAIL"}`);
    console.log(`median added p50: ${addedP50.toFixed(2)} ms (target < 1 ms) ${addedP50 < 1 ? "PASS" : "FAIL"}`);
    if (gatewayCpu.length) console.log(`median CPU per call: gateway ${us(median(gatewayCpu))}, upstream ${us(median(upstreamCpu))} (direct rounds)`);
    console.log(`audit events the gateway reported: ${front.events()} (accepted by the counting sink)`);
    await issuer.close();
    front.close();
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await warden.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
