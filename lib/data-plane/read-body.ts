import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip as gunzipCallback } from "node:zlib";

const gunzip = promisify(gunzipCallback);

export type NodeBodyResult = { ok: true; value: unknown; /** The body as sent, decompressed. */ bytes: Buffer } | { ok: false; status: 400 | 413 | 415; error: string };
export type JsonBodyLimits = { maxBytes: number; maxInflatedBytes?: number };

const sizeLabel = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.floor(bytes / 1024)} KiB`);

/**
 * A JSON request body from node:http, refused by media type (415), size while
 * streaming (413) or syntax (400). With `maxInflatedBytes`, a gzip body is
 * accepted and its decompression stops at that size (a small "zip bomb"
 * never becomes a large buffer).
 */
export async function readNodeJsonBody(req: IncomingMessage, limits: number | JsonBodyLimits): Promise<NodeBodyResult> {
  const { maxBytes, maxInflatedBytes } = typeof limits === "number" ? { maxBytes: limits, maxInflatedBytes: undefined } : limits;
  const mediaType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") return { ok: false, status: 415, error: "Send the body as JSON, with Content-Type: application/json." };
  const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && !(encoding === "gzip" && maxInflatedBytes)) {
    return { ok: false, status: 415, error: maxInflatedBytes ? "Send the body uncompressed or with Content-Encoding: gzip." : "Send the body uncompressed." };
  }
  const tooLarge = { ok: false, status: 413, error: `The body is larger than ${sizeLabel(maxBytes)}.` } as const;
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.destroy();
      return tooLarge;
    }
    chunks.push(chunk as Buffer);
  }
  let raw = Buffer.concat(chunks);
  if (encoding === "gzip") {
    try {
      raw = await gunzip(raw, { maxOutputLength: maxInflatedBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        return { ok: false, status: 413, error: `The body is larger than ${sizeLabel(maxInflatedBytes!)} once decompressed.` };
      }
      return { ok: false, status: 400, error: "The body is not valid gzip." };
    }
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")), bytes: raw };
  } catch {
    return { ok: false, status: 400, error: "The body is not valid JSON." };
  }
}
