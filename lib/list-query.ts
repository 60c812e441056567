import { z } from "zod";

/** The page sizes every list offers; the table's selector and the server's parsing share them. */
export const PAGE_SIZES = [10, 25, 50, 100] as const;

/**
 * `page` and `size` as every list reads them from the URL. Anything odd in a
 * shared or hand-edited link falls back to a default instead of failing.
 */
export function pagingFields(defaultSize: (typeof PAGE_SIZES)[number] = 25) {
  return {
    page: z.coerce.number().int().min(1).max(100_000).catch(1),
    size: z.coerce
      .number()
      .int()
      .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
      .catch(defaultSize),
  };
}

/** A position in a list ordered newest first by (timestamp, id): keyset paging never OFFSETs. */
export type KeysetCursor = { ts: Date; id: string };

// Opaque to the browser, but only a timestamp and an id: a forged one just moves the page.
export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(`${cursor.ts.toISOString()}|${cursor.id}`).toString("base64url");
}

export function decodeCursor(value: string | undefined): KeysetCursor | null {
  if (!value) return null;
  const [ts, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const date = new Date(ts ?? "");
  if (Number.isNaN(date.getTime()) || !id || !z.uuid().safeParse(id).success) return null;
  return { ts: date, id };
}
