import type { IncomingMessage } from "node:http";

export type NodeBodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string };

/** A JSON request body from node:http, refused by media type (415), size while streaming (413) or syntax (400). */
export async function readNodeJsonBody(req: IncomingMessage, maxBytes: number): Promise<NodeBodyResult> {
  const mediaType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") return { ok: false, status: 415, error: "Send the body as JSON, with Content-Type: application/json." };
  const tooLarge = { ok: false, status: 413, error: `The body is larger than ${Math.floor(maxBytes / 1024)} KiB.` } as const;
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
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, status: 400, error: "The body is not valid JSON." };
  }
}
