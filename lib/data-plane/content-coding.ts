import type { ContentCoding } from "./config-feed";

/** Preferred first when a client rates them equally: br is the smaller. */
const PREFERENCE: readonly ContentCoding[] = ["br", "gzip", "identity"];

/**
 * The coding to send for an Accept-Encoding header (RFC 9110 §12.5.3): the
 * highest q-value among br, gzip and identity, with `*` standing for any not
 * named and q=0 meaning "not this one". Identity is acceptable unless refused;
 * when everything is refused the body is still sent uncompressed, which the
 * RFC allows and which beats a 406 for a config poll.
 */
export function chooseContentCoding(header: string | string[] | undefined): ContentCoding {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  if (!text.trim()) return "identity";
  const weights = new Map<string, number>();
  for (const part of text.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "q") {
        const parsed = Number(value);
        q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0;
      }
    }
    weights.set(name === "x-gzip" ? "gzip" : name, q);
  }
  const weight = (coding: ContentCoding) => weights.get(coding) ?? weights.get("*") ?? (coding === "identity" ? 0.001 : 0);
  let best: ContentCoding = "identity";
  let bestWeight = 0;
  for (const coding of PREFERENCE) {
    const q = weight(coding);
    if (q > bestWeight) {
      best = coding;
      bestWeight = q;
    }
  }
  return best;
}
