"use client";

import { useSyncExternalStore } from "react";
import { describeRelativeTime } from "@/lib/format/relative-time";

const TICK_MS = 30_000;
function subscribeToClock(onTick: () => void) {
  const timer = setInterval(onTick, TICK_MS);
  return () => clearInterval(timer);
}
// Rounded, so that repeated reads within one tick return the same snapshot.
const readClock = () => Math.floor(Date.now() / TICK_MS) * TICK_MS;

/**
 * "3 minutes ago" or "in 30 days", with the exact UTC time on hover. The server renders the
 * absolute time (its clock is not the reader's); the browser then takes over.
 */
export function RelativeTime({ iso }: { iso: string | null }) {
  const now = useSyncExternalStore(subscribeToClock, readClock, () => null);
  if (!iso) return <span className="text-muted-foreground">never</span>;
  return (
    <time dateTime={iso} title={iso}>
      {now === null ? iso.slice(0, 16).replace("T", " ") : describeRelativeTime(iso, now)}
    </time>
  );
}
