/**
 * How long a fetched client metadata document stays fresh: what its HTTP
 * cache headers say, kept within bounds so that a publisher can neither make
 * Warden refetch on every request nor pin a document for months. Only valid
 * documents are ever cached; errors are refetched next time.
 */
export type CacheBounds = { minSeconds: number; maxSeconds: number; defaultSeconds: number };
export const DEFAULT_CACHE_BOUNDS: CacheBounds = { minSeconds: 5 * 60, maxSeconds: 24 * 60 * 60, defaultSeconds: 60 * 60 };

type Headers = Record<string, string | string[] | undefined>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function freshnessSeconds(headers: Headers, now: Date, bounds: CacheBounds = DEFAULT_CACHE_BOUNDS): number {
  const cacheControl = (first(headers["cache-control"]) ?? "").toLowerCase();
  const directives = new Map(
    cacheControl
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, value] = part.split("=");
        return [name!.trim(), value?.trim().replace(/^"|"$/g, "")] as const;
      }),
  );
  let seconds: number;
  if (directives.has("no-store") || directives.has("no-cache")) {
    seconds = 0;
  } else if (directives.has("max-age") && /^\d+$/.test(directives.get("max-age") ?? "")) {
    const age = Number(first(headers["age"]) ?? 0);
    seconds = Number(directives.get("max-age")) - (Number.isFinite(age) ? age : 0);
  } else if (first(headers["expires"])) {
    const expires = Date.parse(first(headers["expires"])!);
    // An unparseable Expires means "already expired" (RFC 9111 §5.3).
    seconds = Number.isNaN(expires) ? 0 : Math.round((expires - now.getTime()) / 1000);
  } else {
    seconds = bounds.defaultSeconds;
  }
  return Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, seconds));
}

export function cacheExpiresAt(headers: Headers, now: Date, bounds: CacheBounds = DEFAULT_CACHE_BOUNDS): Date {
  return new Date(now.getTime() + freshnessSeconds(headers, now, bounds) * 1000);
}
