import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip as gunzipCallback } from "node:zlib";
import { MAX_JSON_DEPTH, parseExternalJson, parseExternalJsonBatch } from "@/lib/input/rules";

const gunzip = promisify(gunzipCallback);

export type NodeBodyResult =
  | { ok: true; value: unknown; /** The body as sent, decompressed. */ bytes: Buffer }
  | { ok: false; status: 400 | 413 | 415; error: string; /** Headers the refusal must carry (Connection: close when the body was left unread). */ headers?: Record<string, string> };
export type JsonBodyLimits = {
  maxBytes: number;
  maxInflatedBytes?: number;
  /**
   * The body is a batch (`{"events": [...]}`) whose items are judged one by
   * one: an item nested deeper than this is replaced by a JsonItemTooDeep
   * instead of refusing the whole body, and the items' text is left to
   * their own schema. Without it, the whole body must pass the input rules.
   */
  batchItemDepth?: number;
};

const sizeLabel = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.floor(bytes / 1024)} KiB`);
// The body is left unread: the connection cannot carry another request, so it closes after the answer.
const CLOSE = { Connection: "close" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A JSON request body from node:http, refused by media type (415), size while
 * streaming (413), encoding, syntax or the input rules (400: depth past
 * MAX_JSON_DEPTH is refused before JSON.parse builds anything). With
 * `maxInflatedBytes`, a gzip body is accepted and its decompression stops at
 * that size (a small "zip bomb" never becomes a large buffer).
 */
export async function readNodeJsonBody(req: IncomingMessage, limits: number | JsonBodyLimits): Promise<NodeBodyResult> {
  const { maxBytes, maxInflatedBytes, batchItemDepth } = typeof limits === "number" ? ({ maxBytes: limits } as JsonBodyLimits) : limits;
  const mediaType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") return { ok: false, status: 415, error: "Send the body as JSON, with Content-Type: application/json." };
  const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && !(encoding === "gzip" && maxInflatedBytes)) {
    return { ok: false, status: 415, error: maxInflatedBytes ? "Send the body uncompressed or with Content-Encoding: gzip." : "Send the body uncompressed." };
  }
  const read = await readNodeBody(req, maxBytes);
  if (!read.ok) return read;
  let raw = read.bytes;
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
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, status: 400, error: "The body is not valid UTF-8." };
  }
  const parsed = batchItemDepth === undefined ? parseExternalJson(text, MAX_JSON_DEPTH) : parseExternalJsonBatch(text, batchItemDepth);
  return parsed.ok ? { ok: true, value: parsed.value, bytes: raw } : { ok: false, status: 400, error: parsed.error };
}

/**
 * A request body's raw bytes up to `maxBytes`, refused as it streams in (413,
 * also when chunked with no Content-Length: the answer never waits for an
 * endless body to end) or when the sender hangs up mid-body (400).
 */
export async function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; status: 400 | 413; error: string; headers: Record<string, string> }> {
  const tooLarge = { ok: false, status: 413, error: `The body is larger than ${sizeLabel(maxBytes)}.`, headers: CLOSE } as const;
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) return tooLarge;
  const read = await readAtMost(req, maxBytes);
  if (read === "too large") return tooLarge;
  if (read === "cut off") return { ok: false, status: 400, error: "The body ended before it was complete.", headers: CLOSE };
  return { ok: true, bytes: read };
}

/**
 * The body's bytes, or why there are none. Past the limit it stops keeping
 * what arrives but goes on reading (and dropping) it until the answer is sent
 * and the connection closed: destroying the request first would leave the
 * sender with a reset connection instead of the 413 that explains it.
 */
function readAtMost(req: IncomingMessage, maxBytes: number): Promise<Buffer | "too large" | "cut off"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: Buffer | "too large" | "cut off") => {
      req.off("data", keep).off("end", end).off("error", cutOff).off("close", cutOff);
      resolve(outcome);
    };
    const keep = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.on("data", () => {});
      req.on("error", () => {});
      done("too large");
    };
    const end = () => done(Buffer.concat(chunks, size));
    const cutOff = () => done("cut off");
    req.on("data", keep).on("end", end).on("error", cutOff).on("close", cutOff);
  });
}
