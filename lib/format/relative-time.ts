const FORMAT = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Infinity],
];
// The reader's clock ticks coarsely (and may lag the server's), so an event a
// few seconds "in the future" is a fresh one, not a future one.
const FRESH_SECONDS = 60;

/**
 * "3 minutes ago", "in 30 days", "now": past and future alike, so an expiry a
 * year away reads "in 1 year", never "now".
 */
export function describeRelativeTime(iso: string, now: number): string {
  let value = (new Date(iso).getTime() - now) / 1000;
  if (Number.isNaN(value)) return iso;
  if (value > 0 && value < FRESH_SECONDS) value = 0;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return FORMAT.format(Math.round(value), unit);
    value /= size;
  }
  return iso;
}
