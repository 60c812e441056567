import { IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { textProblem } from "@/lib/input/rules";
import { actionReplyProblem } from "./action-reply";
import { SERVER_ACTION_BODY_LIMIT_BYTES } from "./server-action-limits";

/**
 * What every request passes on its way to Next.js (the data plane, which
 * authenticates with API keys rather than cookies, is answered before this):
 *
 * 1. Proxy headers (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`) are removed
 *    unless WARDEN_TRUST_PROXY vouches for whoever sent them. Next trusts
 *    `X-Forwarded-Host` when it checks a server action's Origin, so a forged
 *    one would let a foreign page through.
 * 2. A request that can change something (any method but GET, HEAD and
 *    OPTIONS) must come from Warden's own pages: its `Origin` is the public
 *    origin (NEXTAUTH_URL's, never one read from the request), or, when a
 *    browser sent no Origin, `Sec-Fetch-Site: same-origin`. Otherwise 403.
 * 3. A server action's body is read and checked before Next parses it, since
 *    Next answers 500 to a body it cannot parse: over the size limit 413; an
 *    empty, non-UTF-8, non-JSON or too deep text body, text the shared input
 *    rules refuse, a malformed multipart one or arguments React cannot
 *    decode (action-reply.ts), 400; any other media type 415. Next then
 *    receives the very bytes that were read.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** How long a refused upload may keep sending before its connection is closed. */
const DRAIN_AFTER_REFUSAL_MS = 5_000;

export type RequestGateOptions = {
  /** NEXTAUTH_URL: the one origin Warden's pages are served from. */
  publicUrl: string;
  trustProxy: boolean;
  actionBodyLimitBytes?: number;
};

export type Refusal = { status: 400 | 403 | 413 | 415; error: string };

/** Headers only a reverse proxy may set: a client's own copies say whatever it likes. */
export function isProxyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith("x-forwarded-") || lower === "forwarded" || lower === "x-real-ip";
}

/** Removes proxy headers from both views Node keeps of a request's headers. */
export function stripProxyHeaders(req: IncomingMessage): void {
  for (const name of Object.keys(req.headers)) if (isProxyHeader(name)) delete req.headers[name];
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!isProxyHeader(req.rawHeaders[i]!)) raw.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  req.rawHeaders = raw;
}

/** Why a request must be refused as cross-site, or null when it may go on. */
export function crossSiteRefusal(method: string | undefined, headers: IncomingHttpHeaders, publicOrigin: string): Refusal | null {
  if (SAFE_METHODS.has((method ?? "GET").toUpperCase())) return null;
  const origin = headers.origin;
  if (origin !== undefined) {
    if (origin === publicOrigin) return null;
    return { status: 403, error: "Refused: this request comes from another site. Changes can only be made from Warden's own pages." };
  }
  if (headers["sec-fetch-site"] === "same-origin") return null;
  return { status: 403, error: `Refused: a request that changes something needs an Origin header of ${publicOrigin} (browsers send it on their own).` };
}

/**
 * Whether Next would treat the request as a server action: a POST naming one
 * in `Next-Action`, or a multipart form posted to a page (an action submitted
 * without JavaScript). Route handlers under /api/ read their own bodies.
 */
export function isServerActionRequest(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders): boolean {
  if (method !== "POST") return false;
  if (headers["next-action"] !== undefined) return true;
  const path = (url ?? "/").split("?")[0]!;
  return mediaTypeOf(headers["content-type"]) === "multipart/form-data" && !path.startsWith("/api/") && !path.startsWith("/_next/");
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

const sizeLabel = (bytes: number) => (bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.floor(bytes / 1024)} KB`);

/** Refusals that need only the headers: a media type Next cannot read, a compressed body, a declared size over the limit. */
export function serverActionHeaderRefusal(headers: IncomingHttpHeaders, limitBytes: number): Refusal | null {
  const mediaType = mediaTypeOf(headers["content-type"]);
  if (!["text/plain", "application/json", "multipart/form-data"].includes(mediaType)) {
    return { status: 415, error: "Send a server action's arguments as text/plain (JSON) or multipart/form-data." };
  }
  const encoding = String(headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") return { status: 415, error: "Send a server action's body uncompressed." };
  if (Number(headers["content-length"] ?? 0) > limitBytes) return tooLarge(limitBytes);
  return null;
}

const tooLarge = (limitBytes: number): Refusal => ({ status: 413, error: `The request body is larger than ${sizeLabel(limitBytes)}.` });

/** Why a complete server-action body must be refused, or null when Next can read it. */
export async function serverActionBodyRefusal(headers: IncomingHttpHeaders, body: Uint8Array): Promise<Refusal | null> {
  const bad = (error: string): Refusal => ({ status: 400, error });
  const contentType = headers["content-type"] ?? "";
  if (mediaTypeOf(contentType) === "multipart/form-data") {
    let form: FormData;
    try {
      // Copied, so the parser reads from its own buffer and never detaches the one replayed to Next.
      form = await new Request("http://request-gate.invalid/", { method: "POST", headers: { "content-type": contentType }, body: new Uint8Array(body) }).formData();
    } catch {
      return bad("The body is not well-formed multipart/form-data.");
    }
    for (const [name, value] of form) {
      const nameProblem = textProblem(name);
      if (nameProblem) return bad(`A form field name ${nameProblem}.`);
      const problem = typeof value === "string" ? textProblem(value) : null;
      if (problem) return bad(`The form field "${name.slice(0, 64)}" ${problem}.`);
      // Next runs a form posted without JavaScript as the action its $ACTION_ fields
      // name; Warden has no such forms, and a forged one can crash the decoder.
      if (headers["next-action"] === undefined && name.startsWith("$ACTION_")) return bad("Warden's forms are sent with JavaScript; this form post is not accepted.");
    }
    if (headers["next-action"] === undefined) return null;
    const problem = actionReplyProblem((id) => form.get(id), true);
    return problem ? bad(problem) : null;
  }
  let text: string;
  try {
    // The byte-order mark is kept: Next decodes without stripping it, and JSON.parse refuses it.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return bad("The body is not valid UTF-8.");
  }
  if (text.trim() === "") return bad("The body is empty; send the action's arguments as JSON.");
  const problem = actionReplyProblem((id) => (id === "0" ? text : null), false);
  return problem ? bad(problem) : null;
}

type BodyRead = { kind: "complete"; body: Buffer } | { kind: "too-large" } | { kind: "aborted" };

/** Reads a request body, stopping (and leaving the rest unread) once it passes limitBytes. */
function readBodyWithin(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      req.off("data", onData).off("end", onEnd).off("error", onAbort).off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.pause();
        finish({ kind: "too-large" });
      } else chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: "complete", body: Buffer.concat(chunks, size) });
    const onAbort = () => finish({ kind: "aborted" });
    const onClose = () => {
      if (!req.complete) finish({ kind: "aborted" });
    };
    req.on("data", onData).on("end", onEnd).on("error", onAbort).on("close", onClose);
  });
}

/**
 * A request Next can read as if it were the original: same socket, method,
 * URL and headers, its body stream yielding the bytes already read.
 */
export function replayRequest(original: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = new IncomingMessage(original.socket);
  replay.method = original.method;
  replay.url = original.url;
  replay.httpVersion = original.httpVersion;
  replay.httpVersionMajor = original.httpVersionMajor;
  replay.httpVersionMinor = original.httpVersionMinor;
  replay.headers = original.headers;
  replay.rawHeaders = original.rawHeaders;
  replay.trailers = original.trailers;
  replay.rawTrailers = original.rawTrailers;
  // Everything is pushed up front: reading must never touch the socket, which
  // already carries the next request on a kept-alive connection.
  replay._read = () => {};
  if (body.length) replay.push(body);
  // Marked complete before it ends, or Node would take the end for an abort and close the socket.
  replay.complete = true;
  replay.push(null);
  return replay;
}

/**
 * Answers a refused request: JSON under /api/ (like every API answer), plain
 * text elsewhere. A client may still be sending a body nobody will read: the
 * answer goes out at once (its length tells the client it is whole), and the
 * rest of the body is read and dropped before the response ends. Closing
 * sooner would reset the connection, and a reset can destroy the answer
 * before the client reads it. A client that keeps sending is cut off.
 */
function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const api = (req.url ?? "").startsWith("/api/");
  const text = api ? JSON.stringify({ error: refusal.error }) : refusal.error;
  res.statusCode = refusal.status;
  res.setHeader("Content-Type", api ? "application/json; charset=utf-8" : "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  if (req.complete) {
    res.end(text);
    return;
  }
  res.write(text);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    res.end();
  };
  const timer = setTimeout(() => {
    end();
    req.socket.destroy();
  }, DRAIN_AFTER_REFUSAL_MS);
  timer.unref();
  req.once("end", end).once("close", end);
  req.resume();
}

/**
 * The gate server.ts runs before handing a request to Next. Resolves to the
 * request Next should handle (the original, or a replay of a server action's
 * checked body), or null when the gate has answered it.
 */
export function createRequestGate(options: RequestGateOptions) {
  const publicOrigin = new URL(options.publicUrl).origin;
  const limitBytes = options.actionBodyLimitBytes ?? SERVER_ACTION_BODY_LIMIT_BYTES;

  return async function admit(req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | null> {
    if (!options.trustProxy) stripProxyHeaders(req);

    const crossSite = crossSiteRefusal(req.method, req.headers, publicOrigin);
    if (crossSite) {
      refuse(req, res, crossSite);
      return null;
    }
    if (!isServerActionRequest(req.method, req.url, req.headers)) return admitOtherBody(req, res);

    const headerRefusal = serverActionHeaderRefusal(req.headers, limitBytes);
    if (headerRefusal) {
      refuse(req, res, headerRefusal);
      return null;
    }
    const body = await bodyWithinLimit(req, res);
    if (!body) return null;
    const bodyRefusal = await serverActionBodyRefusal(req.headers, body);
    if (bodyRefusal) {
      refuse(req, res, bodyRefusal);
      return null;
    }
    return replayRequest(req, body);
  };

  /** The whole body, read within the limit; null once the request has been answered (413) or has gone. */
  async function bodyWithinLimit(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    const read = await readBodyWithin(req, limitBytes);
    if (read.kind === "aborted") return null;
    if (read.kind === "too-large") {
      refuse(req, res, tooLarge(limitBytes));
      return null;
    }
    return read.body;
  }

  /**
   * Any other request with a body (a route handler's JSON, a sign-in form):
   * read here within the same limit and replayed. Next itself buffers such
   * a body for the proxy (proxy.ts) and waits for its end before any route
   * runs, with no limit that answers: a chunked body that never ends would
   * never be answered, and a huge one would be held in memory.
   */
  async function admitOtherBody(req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | null> {
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    if (!hasBody) return req;
    if (Number(req.headers["content-length"] ?? 0) > limitBytes) {
      refuse(req, res, tooLarge(limitBytes));
      return null;
    }
    const body = await bodyWithinLimit(req, res);
    return body && replayRequest(req, body);
  }
}
