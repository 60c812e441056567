import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * A minimal fetch over node:http with keep-alive, for the MCP client's
 * requests to the upstream. Node's built-in fetch costs several milliseconds
 * a call here (measured with bench/gateway.ts), which would be most of what the
 * gateway adds; this one costs a fraction of one. It never follows redirects
 * (a 3xx reaches the MCP client as a failure, like `redirect: "error"`), so a
 * static upstream credential never follows one elsewhere.
 */
export function keepAliveFetch(): typeof fetch {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };
  const doFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const https = url.protocol === "https:";
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: init?.method ?? "GET", headers, agent: https ? agents.https : agents.http, signal: init?.signal ?? undefined },
        (res: IncomingMessage) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
          }
          const status = res.statusCode ?? 502;
          const body = NO_BODY.has(status) || init?.method === "HEAD" ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          if (!body) res.resume();
          resolve(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
        },
      );
      req.on("error", reject);
      const body = init?.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
      else reject(new TypeError("Only string and byte bodies are sent to the upstream."));
    });
  return doFetch as typeof fetch;
}

export type PlainAnswer = { status: number; contentType: string; text: string };

/** A POST under way: its answer, and a way to give up on it (the connection is dropped, the answer rejects with the reason). */
export type PlainRequest = { answer: Promise<PlainAnswer>; abort: (reason: unknown) => void };

export type PlainPost = (url: string, headers: Record<string, string>, body: string) => PlainRequest;

/**
 * One POST over keep-alive node:http, read whole as text: no web streams, no
 * AbortSignal and no URL parsing on the hot path (the target's request
 * options are worked out once per URL).
 */
export function keepAlivePost(): PlainPost {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };
  const targets = new Map<string, { https: boolean; options: { protocol: string; hostname: string; port: string; path: string; agent: HttpAgent } }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      const https = parsed.protocol === "https:";
      // An IPv6 literal is bracketed in a URL, not in a hostname to connect to.
      const hostname = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
      target = { https, options: { protocol: parsed.protocol, hostname, port: parsed.port, path: `${parsed.pathname}${parsed.search}`, agent: https ? agents.https : agents.http } };
      if (targets.size < 16) targets.set(url, target);
    }
    return target;
  };
  return (url, headers, body) => {
    const { https, options } = targetOf(url);
    let req: ReturnType<typeof httpRequest> | undefined;
    const answer = new Promise<PlainAnswer>((resolve, reject) => {
      req = (https ? httpsRequest : httpRequest)({ ...options, method: "POST", headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 502, contentType: String(res.headers["content-type"] ?? ""), text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
    return { answer, abort: (reason) => req!.destroy(reason instanceof Error ? reason : new Error(String(reason))) };
  };
}
