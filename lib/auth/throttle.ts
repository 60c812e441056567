import "server-only";
import type { Db } from "@/lib/db/client";

/**
 * Failed sign-in limits, kept in the database so that they hold across every
 * instance behind a load balancer. Per account they stop password guessing on
 * one admin; per IP they stop spraying one password across many admins.
 */
export const THROTTLE_RULES = {
  account: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  ip: { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const;

type Kind = keyof typeof THROTTLE_RULES;
type ThrottleRow = { failures: number; windowStart: Date; lockedUntil: Date | null };

const throttleKey = (kind: Kind, value: string) => `${kind}:${value.toLowerCase()}`;

function throttleKeys(email: string, ip: string | null): [Kind, string][] {
  // Always account before ip: one lock order for every caller, so no deadlocks.
  return [["account", throttleKey("account", email)], ...(ip ? [["ip", throttleKey("ip", ip)] as [Kind, string]] : [])];
}

/**
 * Counts a sign-in attempt against its account and IP *before* the password
 * is checked, and returns the time until which sign-in is refused, or null
 * when this attempt may go ahead.
 *
 * Counting first is what makes the limit hold against a burst of parallel
 * guesses: when the check came first and the count only after the (slow)
 * password hash, every request of a burst passed the check and was tried.
 * The rows stay locked until the count is written, so attempts on any
 * instance are counted one at a time.
 *
 * A failed attempt needs nothing more; a successful one calls
 * releaseSignInAttempt.
 */
export async function claimSignInAttempt(db: Db, email: string, ip: string | null, now = new Date()): Promise<Date | null> {
  return db.$transaction(async (tx) => {
    const rows: { kind: Kind; key: string; row: ThrottleRow }[] = [];
    for (const [kind, key] of throttleKeys(email, ip)) {
      await tx.$executeRaw`
        INSERT INTO "SignInThrottle" ("key", "failures", "windowStart") VALUES (${key}, 0, ${now}) ON CONFLICT ("key") DO NOTHING`;
      const [row] = await tx.$queryRaw<ThrottleRow[]>`
        SELECT "failures", "windowStart", "lockedUntil" FROM "SignInThrottle" WHERE "key" = ${key} FOR UPDATE`;
      rows.push({ kind, key, row: row! });
    }

    // Attempts during a lock are refused without being counted: the lock does not grow.
    const live = rows.map(({ row }) => row.lockedUntil).filter((until): until is Date => until !== null && until > now);
    if (live.length) return latest(live);

    let refusedUntil: Date | null = null;
    for (const { kind, key, row } of rows) {
      const rule = THROTTLE_RULES[kind];
      // An expired lock or window starts the count afresh.
      const fresh = row.lockedUntil !== null || row.windowStart.getTime() <= now.getTime() - rule.windowMs;
      const attempts = (fresh ? 0 : row.failures) + 1;
      if (attempts > rule.maxFailures) {
        const lockedUntil = new Date(now.getTime() + rule.lockMs);
        await tx.signInThrottle.update({ where: { key }, data: { failures: 0, windowStart: now, lockedUntil } });
        refusedUntil = latest([lockedUntil, ...(refusedUntil ? [refusedUntil] : [])]);
      } else {
        await tx.signInThrottle.update({
          where: { key },
          data: { failures: attempts, windowStart: fresh ? now : row.windowStart, lockedUntil: null },
        });
      }
    }
    return refusedUntil;
  });
}

/**
 * After a successful sign-in: the account starts over, and the attempt no
 * longer counts against the IP, so that many admins behind one address can
 * all sign in.
 */
export async function releaseSignInAttempt(db: Db, email: string, ip: string | null): Promise<void> {
  await db.signInThrottle.deleteMany({ where: { key: throttleKey("account", email) } });
  if (ip) {
    await db.$executeRaw`
      UPDATE "SignInThrottle" SET "failures" = "failures" - 1
      WHERE "key" = ${throttleKey("ip", ip)} AND "failures" > 0 AND "lockedUntil" IS NULL`;
  }
}

function latest(dates: Date[]): Date {
  return new Date(Math.max(...dates.map((date) => date.getTime())));
}
