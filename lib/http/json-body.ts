import { parseExternalJson } from "@/lib/input/rules";

/** A JSON request body, or the 4xx answer that explains why there is none. */
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string };

/**
 * Reads a fetch-API request's JSON body, refusing a wrong content type (415),
 * a body above maxBytes (413, counted as it streams in, so a missing or false
 * Content-Length cannot get past it) and text that is not JSON or breaks the
 * input rules (400; depth is checked before JSON.parse builds anything).
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBodyResult> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") {
    return { ok: false, status: 415, error: "Send the body as JSON, with Content-Type: application/json." };
  }
  const tooLarge = { ok: false, status: 413, error: `The body is larger than ${Math.floor(maxBytes / 1024)} KiB.` } as const;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge;

  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        // Not awaited: cancelling a request body that is still streaming in waits for its end, which an endless sender never reaches.
        reader.cancel().catch(() => {});
        return tooLarge;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, error: "The body is not valid UTF-8." };
  }
  if (text.trim() === "") return { ok: false, status: 400, error: "The body is empty; send a JSON object." };
  const parsed = parseExternalJson(text);
  return parsed.ok ? parsed : { ok: false, status: 400, error: parsed.error };
}
