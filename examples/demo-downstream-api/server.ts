/**
 * A small downstream API ("calendar") that MCP servers call on behalf of the
 * user with tokens Warden issued by token exchange. It trusts nothing but
 * Warden's published keys: it discovers them from Warden's RFC 8414
 * metadata and verifies each token with `jose`, as any API would with an
 * off-the-shelf JWT library, then checks the audience, the scope the route
 * needs, and that the acting party (`act.sub`) is an MCP server it expects.
 *
 *   WARDEN_ISSUER=http://localhost:3000/api/v1/issuers/prod AUDIENCE=https://calendar.example.com/api \
 *   ALLOWED_ACTORS=http://localhost:3333/mcp npx tsx examples/demo-downstream-api/server.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

export type DemoApiOptions = {
  /** Warden's issuer for the environment, e.g. http://localhost:3000/api/v1/issuers/prod. */
  issuer: string;
  /** This API's audience URI, as registered in Warden. */
  audience: string;
  /** MCP server resources allowed to act for users here; empty: any. */
  allowedActors?: string[];
  port?: number;
};

export type RunningDemoApi = { url: string; close: () => Promise<void>; server: Server; meetings: { title: string; organizer: string; bookedBy: string }[] };

const ROUTES: Record<string, string> = { "GET /meetings": "calendar:read", "POST /meetings": "calendar:write" };

/** RFC 8414 §3: the metadata of an issuer with a path lives at /.well-known/oauth-authorization-server/<path>. */
function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  return `${url.origin}/.well-known/oauth-authorization-server${url.pathname.replace(/\/$/, "")}`;
}

export async function startDemoDownstreamApi(options: DemoApiOptions): Promise<RunningDemoApi> {
  const meetings: RunningDemoApi["meetings"] = [];
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  const jwks = () =>
    (keys ??= (async () => {
      const response = await fetch(metadataUrl(options.issuer));
      if (!response.ok) throw new Error(`Warden's metadata is unavailable (HTTP ${response.status}).`);
      const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string };
      if (metadata.issuer !== options.issuer || !metadata.jwks_uri) throw new Error("Warden's metadata names another issuer or no jwks_uri.");
      return createRemoteJWKSet(new URL(metadata.jwks_uri));
    })().catch((error: unknown) => {
      keys = null;
      throw error;
    }));

  const http = createServer(async (req, res) => {
    const route = `${req.method} ${new URL(req.url ?? "/", "http://localhost").pathname}`;
    const needed = ROUTES[route];
    if (!needed) return send(res, 404, { error: "not_found" });
    const header = req.headers.authorization ?? "";
    if (!/^Bearer\s+\S+$/i.test(header)) return challenge(res, 401, "invalid_token", "A bearer token from Warden is required.");
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(header.replace(/^Bearer\s+/i, ""), await jwks(), { issuer: options.issuer, audience: options.audience, typ: "at+jwt", clockTolerance: 5 }));
    } catch (error) {
      return challenge(res, 401, "invalid_token", `The token was refused: ${error instanceof Error ? error.message : "invalid"}`);
    }
    const actor = (claims.act as { sub?: unknown } | undefined)?.sub;
    if (typeof actor !== "string") return challenge(res, 401, "invalid_token", "The token names no acting MCP server (act.sub).");
    if (options.allowedActors?.length && !options.allowedActors.includes(actor)) return challenge(res, 403, "invalid_token", `${actor} may not act for users here.`);
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
    if (!scopes.includes(needed)) return challenge(res, 403, "insufficient_scope", `${route} needs the scope ${needed}; the token has ${scopes.join(" ") || "none"}.`, needed);

    if (req.method === "GET") return send(res, 200, { meetings: meetings.filter((meeting) => meeting.organizer === claims.sub) });
    let title = "Meeting";
    try {
      const body = JSON.parse(await readBody(req)) as { title?: unknown };
      if (typeof body.title === "string" && body.title.length <= 200) title = body.title;
    } catch {
      return send(res, 400, { error: "invalid_request", error_description: "Send {\"title\": \"…\"}." });
    }
    const meeting = { title, organizer: String(claims.sub), bookedBy: actor };
    meetings.push(meeting);
    send(res, 201, { booked: meeting, scope: claims.scope, client_id: claims.client_id, act: claims.act });
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server: http,
    meetings,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error("too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function challenge(res: ServerResponse, status: number, error: string, description: string, scope?: string) {
  const quoted = description.replace(/["\\]/g, "'");
  send(res, status, { error, error_description: description }, { "WWW-Authenticate": `Bearer error="${error}", error_description="${quoted}"${scope ? `, scope="${scope}"` : ""}` });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const issuer = process.env.WARDEN_ISSUER;
  const audience = process.env.AUDIENCE;
  if (!issuer || !audience) {
    console.error("Set WARDEN_ISSUER and AUDIENCE.");
    process.exit(2);
  }
  const api = await startDemoDownstreamApi({ issuer, audience, allowedActors: (process.env.ALLOWED_ACTORS ?? "").split(",").filter(Boolean), port: Number(process.env.PORT ?? 3335) });
  console.log(`[demo-downstream-api] listening on ${api.url}`);
}
