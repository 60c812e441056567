import { lookup as dnsLookup } from "node:dns/promises";
import { request, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import { jsonTextTooDeep, parseExternalJson } from "@/lib/input/rules";
import { forbiddenAddressRange } from "./reachable-address";

/**
 * The fetcher for URLs that agents choose (client metadata documents, logos):
 * an internet-facing attack surface, so every rule here refuses something a
 * hostile document or DNS server could otherwise make Warden do.
 */

export type FetchRefusalCode =
  | "url_invalid"
  | "url_not_https"
  | "url_no_path"
  | "url_fragment"
  | "url_credentials"
  | "url_dot_segments"
  | "dns_failed"
  | "address_forbidden"
  | "redirect"
  | "bad_status"
  | "timeout"
  | "too_large"
  | "wrong_content_type"
  | "not_json"
  | "json_too_deep"
  | "tls"
  | "connection";

export class FetchRefusal extends Error {
  constructor(
    readonly code: FetchRefusalCode,
    message: string,
    /** For wrong_content_type: the media type the server sent. */
    readonly contentType?: string,
  ) {
    super(message);
    this.name = "FetchRefusal";
  }
}

export type SafeFetchOptions = {
  /** Whole request, DNS to last byte. */
  timeoutMs?: number;
  /** Checked while streaming, not trusted from Content-Length. */
  maxBytes?: number;
  /** Accepted media types; "json" also parses the body. */
  accept: "json" | { mediaTypes: string[] };
  /**
   * Tests only: allow a loopback HTTPS fixture server signed by this CA. The
   * app takes it only from fetchSettingsFromEnv, which refuses it outside a
   * NODE_ENV=test process (checked at start-up, where the real value is seen).
   */
  testing?: { allowLoopback: true; ca: string | Buffer };
  /** Replaces DNS resolution (tests point names at chosen addresses). */
  resolve?: (hostname: string) => Promise<string[]>;
};

export type SafeFetchResult = {
  url: string;
  address: string;
  status: 200;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  body: Buffer;
  json?: unknown;
};

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BYTES = 5 * 1024;
const JSON_TYPES = ["application/json"];

/**
 * The URL rules of a client_id: https, a path, no fragment, no credentials, no
 * dot segments, and a host that is not a special-use IP address (a name is
 * checked once it resolves). `allowLoopback` is the explicit test setting.
 */
export function parseFetchableUrl(raw: string, allowLoopback = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefusal("url_invalid", "This is not a valid URL.");
  }
  if (url.protocol !== "https:") throw new FetchRefusal("url_not_https", "Only https URLs are fetched.");
  if (url.username || url.password) throw new FetchRefusal("url_credentials", "The URL must not contain a user name or password.");
  if (raw.includes("#")) throw new FetchRefusal("url_fragment", "The URL must not contain a fragment (#…).");
  // The URL parser resolves "." and ".." away, so look at what was written.
  const rawPath = raw.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split(/[?#]/)[0] ?? "";
  if (rawPath.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new FetchRefusal("url_dot_segments", "The URL must not contain . or .. path segments.");
  }
  if (url.pathname === "/" || url.pathname === "") {
    throw new FetchRefusal("url_no_path", "The URL needs a path, e.g. https://agent.example.com/oauth/client.json.");
  }
  const host = bareHostname(url);
  if (isIP(host)) assertReachable(host, host, allowLoopback);
  return url;
}

/** The host without the brackets an IPv6 literal has in a URL. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/** Refuses an address outside the allow-list; `hostname` is what the URL named. */
function assertReachable(hostname: string, address: string, allowLoopback: boolean): void {
  const range = forbiddenAddressRange(address, allowLoopback);
  if (!range) return;
  throw new FetchRefusal(
    "address_forbidden",
    hostname === address
      ? `${address} is a special-use address (${range}); Warden connects only to globally reachable addresses.`
      : `${hostname} resolves to ${address} (${range}), a special-use address Warden never connects to.`,
  );
}

export async function safeFetch(rawUrl: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const allowLoopback = Boolean(options.testing?.allowLoopback);
  const url = parseFetchableUrl(rawUrl, allowLoopback);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = AbortSignal.timeout(timeoutMs);
  const hostname = bareHostname(url);

  const address = await withDeadline(resolveOnce(hostname, options), deadline, timeoutMs);
  // The address connected to, checked here whatever path produced it.
  assertReachable(hostname, address, allowLoopback);

  const mediaTypes = options.accept === "json" ? JSON_TYPES : options.accept.mediaTypes;
  const response = await withDeadline(get(url, hostname, address, maxBytes, mediaTypes, options, deadline), deadline, timeoutMs);
  if (options.accept !== "json") return response;
  // The shared rules for JSON from outside: the depth limit keeps a small but
  // deeply nested document from overflowing whatever walks it next.
  const text = response.body.toString("utf8");
  const parsed = parseExternalJson(text);
  if (!parsed.ok) throw new FetchRefusal(jsonTextTooDeep(text) ? "json_too_deep" : "not_json", `The document is refused: ${parsed.error}`);
  return { ...response, json: parsed.value };
}

/**
 * Resolves once and returns the address to connect to. Every address the name
 * has must be acceptable: a name that also points inside the network is
 * refused outright rather than tried address by address.
 */
async function resolveOnce(hostname: string, options: SafeFetchOptions): Promise<string> {
  if (isIP(hostname)) return hostname;
  let addresses: string[];
  try {
    addresses = options.resolve ? await options.resolve(hostname) : (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    throw new FetchRefusal("dns_failed", `Could not resolve ${hostname}.`);
  }
  if (!addresses.length) throw new FetchRefusal("dns_failed", `${hostname} has no address.`);
  for (const address of addresses) assertReachable(hostname, address, Boolean(options.testing?.allowLoopback));
  return addresses[0]!;
}

function get(
  url: URL,
  hostname: string,
  address: string,
  maxBytes: number,
  mediaTypes: string[],
  options: SafeFetchOptions,
  deadline: AbortSignal,
): Promise<SafeFetchResult> {
  return new Promise((resolve, reject) => {
    const requestOptions: RequestOptions = {
      // Connect to the address that was checked, never to a second resolution
      // of the name (DNS rebinding); TLS still verifies the certificate for the name.
      host: address,
      port: url.port || 443,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      servername: isIP(hostname) ? undefined : hostname,
      headers: { Host: url.host, Accept: mediaTypes.join(", "), "User-Agent": "Warden client-metadata fetcher", "Accept-Encoding": "identity" },
      signal: deadline,
      ca: options.testing?.ca,
      agent: false,
    };
    const req = request(requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.destroy();
        reject(new FetchRefusal("redirect", `The server answered ${status} redirecting to ${res.headers.location ?? "(no Location)"}; the document must be served directly, without redirects.`));
        return;
      }
      if (status !== 200) {
        res.destroy();
        reject(new FetchRefusal("bad_status", `The server answered ${status}; only 200 counts.`));
        return;
      }
      const contentType = String(res.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      const acceptable = mediaTypes.includes(contentType) || (mediaTypes === JSON_TYPES && contentType.endsWith("+json"));
      if (!acceptable) {
        res.destroy();
        reject(new FetchRefusal("wrong_content_type", `The server sent ${contentType || "no content type"}, expected ${mediaTypes.join(" or ")}.`, contentType));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new FetchRefusal("too_large", `The document is larger than ${Math.round(maxBytes / 1024)} KB.`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => resolve({ url: url.toString(), address, status: 200, headers: res.headers, contentType, body: Buffer.concat(chunks) }));
      res.on("error", (error) => reject(connectionRefusal(error, hostname)));
    });
    req.on("error", (error) => reject(connectionRefusal(error, hostname)));
    req.end();
  });
}

function connectionRefusal(error: Error & { code?: string }, hostname: string): FetchRefusal {
  if (error.name === "AbortError" || error.name === "TimeoutError") return new FetchRefusal("timeout", "No complete answer in time.");
  if (/CERT|SSL|TLS|self.signed|altname/i.test(`${error.code ?? ""} ${error.message}`)) {
    return new FetchRefusal("tls", `The TLS connection to ${hostname} failed: ${error.message}`);
  }
  return new FetchRefusal("connection", `Could not connect to ${hostname} (${error.code ?? error.message}).`);
}

function withDeadline<T>(work: Promise<T>, deadline: AbortSignal, timeoutMs: number): Promise<T> {
  if (deadline.aborted) return Promise.reject(new FetchRefusal("timeout", `No complete answer within ${timeoutMs / 1000} s.`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new FetchRefusal("timeout", `No complete answer within ${timeoutMs / 1000} s.`));
    deadline.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener("abort", onAbort));
  });
}
