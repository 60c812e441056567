import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { forbiddenAddressRange } from "@/lib/clients/reachable-address";

/**
 * Outbound POSTs to destinations that admins choose (webhooks, OTLP
 * collectors). Admins are trusted more than agents, but a destination is
 * still a way to make Warden send requests, so:
 * - the name is resolved once and the checked address is the one connected to;
 * - public addresses need https;
 * - special-use addresses (loopback, private networks, CGNAT, ULA) are refused
 *   unless the operator sets WARDEN_DESTINATIONS_ALLOW_PRIVATE=true (a receiver
 *   or SIEM on the internal network), and then plain http is allowed to them;
 * - link-local addresses (cloud metadata services) and the unspecified or
 *   multicast ranges are always refused;
 * - redirects are not followed, the whole request times out, and at most a
 *   small part of the answer is read.
 */

export type DestinationPolicy = { allowPrivate: boolean; timeoutMs: number; maxResponseBytes: number; resolve?: (hostname: string) => Promise<string[]> };

export const DEFAULT_DESTINATION_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;

export function destinationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  return { allowPrivate: env.WARDEN_DESTINATIONS_ALLOW_PRIVATE === "true", timeoutMs: DEFAULT_DESTINATION_TIMEOUT_MS, maxResponseBytes: MAX_RESPONSE_BYTES };
}

export class DestinationRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DestinationRefusal";
  }
}

const ALWAYS_REFUSED = new Set(["link-local", "unspecified", "multicast", "broadcast", "reserved", "this network"]);

/** The form-level checks on a destination URL: what can be told without resolving it. */
export function destinationUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Enter a full URL, like https://hooks.example.com/warden.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "The URL must start with https:// (or http:// for a receiver on a private network).";
  if (url.username || url.password) return "Leave credentials out of the URL; the destination authenticates Warden by the signature.";
  if (url.hash) return "The URL must not have a #fragment.";
  return null;
}

function judge(address: string, https: boolean, policy: DestinationPolicy): string | null {
  const range = forbiddenAddressRange(address);
  if (range === null) return https ? null : "Destinations on the internet must use https://.";
  const never = ALWAYS_REFUSED.has(range.split(",")[0]!);
  if (never || !policy.allowPrivate) {
    return `The destination resolves to ${address}, a ${range} address. ${never ? "Warden never sends there." : "Set WARDEN_DESTINATIONS_ALLOW_PRIVATE=true to allow receivers on private networks."}`;
  }
  return null;
}

async function resolveChecked(url: URL, policy: DestinationPolicy): Promise<string> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(hostname)) addresses = [hostname];
  else {
    try {
      addresses = policy.resolve ? await policy.resolve(hostname) : (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      throw new DestinationRefusal(`Could not resolve ${hostname}.`);
    }
  }
  if (addresses.length === 0) throw new DestinationRefusal(`Could not resolve ${hostname}.`);
  // Every address must pass: a name may not mix a public address with an internal one.
  for (const address of addresses) {
    const problem = judge(address, url.protocol === "https:", policy);
    if (problem) throw new DestinationRefusal(problem);
  }
  return addresses[0]!;
}

/** Checks a destination when it is saved, as a form error. */
export async function checkDestination(raw: string, policy: DestinationPolicy): Promise<string | null> {
  const problem = destinationUrlProblem(raw);
  if (problem) return problem;
  try {
    await resolveChecked(new URL(raw), policy);
    return null;
  } catch (error) {
    if (error instanceof DestinationRefusal) {
      // A name that does not resolve yet may still be right later (split DNS); the worker checks again on each send.
      return error.message.startsWith("Could not resolve") ? null : error.message;
    }
    throw error;
  }
}

export type PostResult = { status: number; durationMs: number; body: string };

/** POSTs a body; resolves with the status (any), rejects with DestinationRefusal or a transport error. */
export async function postToDestination(raw: string, body: Buffer | string, headers: Record<string, string>, policy: DestinationPolicy): Promise<PostResult> {
  const started = performance.now();
  const problem = destinationUrlProblem(raw);
  if (problem) throw new DestinationRefusal(problem);
  const url = new URL(raw);
  const address = await resolveChecked(url, policy);
  const payload = typeof body === "string" ? Buffer.from(body) : body;
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(payload.length), "user-agent": "Warden" },
        // Connect to the address that was checked, whatever DNS says now; TLS still verifies the name.
        lookup: (_hostname, options, callback) => {
          const family = isIP(address);
          if ((options as { all?: boolean }).all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else callback(null, address, family);
        },
        timeout: policy.timeoutMs,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size >= policy.maxResponseBytes) return;
          size += chunk.length;
          chunks.push(chunk);
          if (size >= policy.maxResponseBytes) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, durationMs: Math.round(performance.now() - started), body: Buffer.concat(chunks).toString("utf8").slice(0, policy.maxResponseBytes) });
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`No answer within ${Math.round(policy.timeoutMs / 1000)} s.`)), policy.timeoutMs);
    req.on("timeout", () => req.destroy(new Error(`No answer within ${Math.round(policy.timeoutMs / 1000)} s.`)));
    req.on("error", (error) => reject(error));
    req.on("close", () => clearTimeout(timer));
    req.end(payload);
  });
}

/** A transport error as a short line for the delivery log (never the request, which could carry secrets). */
export function describeSendError(error: unknown): string {
  if (error instanceof DestinationRefusal) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (code === "ECONNREFUSED") return "Connection refused.";
  if (code === "ECONNRESET") return "The connection was reset.";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "Could not resolve the destination.";
  if (typeof code === "string" && /CERT|SSL|TLS/.test(code)) return `TLS error (${code}).`;
  if (error instanceof Error) return error.message.slice(0, 200);
  return "The request failed.";
}
