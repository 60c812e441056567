"use client";

import { useSyncExternalStore } from "react";

const FORMAT = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Infinity],
];

function describe(iso: string, now: number): string {
  // The clock ticks every 30 s, so a fresh event can be slightly "ahead" of it.
  let value = Math.min(0, (new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return FORMAT.format(Math.round(value), unit);
    value /= size;
  }
  return iso;
}

const TICK_MS = 30_000;
function subscribeToClock(onTick: () => void) {
  const timer = setInterval(onTick, TICK_MS);
  return () => clearInterval(timer);
}
// Rounded, so that repeated reads within one tick return the same snapshot.
const readClock = () => Math.floor(Date.now() / TICK_MS) * TICK_MS;

/**
 * "3 minutes ago", with the exact UTC time on hover. The server renders the
 * absolute time (its clock is not the reader's); the browser then takes over.
 */
export function RelativeTime({ iso }: { iso: string | null }) {
  const now = useSyncExternalStore(subscribeToClock, readClock, () => null);
  if (!iso) return <span className="text-muted-foreground">never</span>;
  return (
    <time dateTime={iso} title={iso}>
      {now === null ? iso.slice(0, 16).replace("T", " ") : describe(iso, now)}
    </time>
  );
}
