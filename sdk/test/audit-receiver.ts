// Test support only: a stand-in for POST /api/v1/audit-events on a loopback
// port, for behaviour a real Warden cannot be made to show on demand (lost
// answers, throttling, an older version's failures).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { AuditEvent } from "../src/audit";

export type ReceivedRequest = { idempotencyKey: string; encoding: string; authorization: string; events: AuditEvent[] };
export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body?: unknown };

const servers: Server[] = [];

/**
 * The endpoint as DESIGN §3 specifies it: gzip accepted, duplicates by event
 * id counted and not stored, 202 with counts. `script` can answer a request
 * differently (failures, Retry-After) from its number and its events; a
 * scripted answer stores nothing.
 */
export async function startAuditReceiver(script: (request: number, events: AuditEvent[]) => ScriptedAnswer | null = () => null) {
  const requests: ReceivedRequest[] = [];
  const stored = new Map<string, AuditEvent>();
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = JSON.parse((req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8")) as { events: AuditEvent[] };
    requests.push({ idempotencyKey: String(req.headers["idempotency-key"]), encoding: String(req.headers["content-encoding"]), authorization: String(req.headers.authorization), events: body.events });
    const scripted = script(requests.length, body.events);
    if (scripted) return void res.writeHead(scripted.status, scripted.headers ?? {}).end(JSON.stringify(scripted.body ?? { error: "scripted" }));
    let duplicates = 0;
    for (const event of body.events) {
      if (stored.has(event.id)) duplicates++;
      else stored.set(event.id, event);
    }
    res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted: body.events.length - duplicates, duplicates, rejected: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, stored };
}

/** Closes every receiver started so far (for afterEach). */
export async function closeAuditReceivers() {
  for (const server of servers.splice(0)) await new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
}
