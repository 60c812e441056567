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
