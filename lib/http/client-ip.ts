import type { IncomingMessage } from "node:http";

/** The address of the peer, or, behind a trusted proxy, of the first hop it reports. */
export function peerAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? String(req.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim() : "";
  return forwarded || req.socket.remoteAddress || "unknown";
}
