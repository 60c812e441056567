import { expect, it } from "vitest";
import { describeEachDatabase } from "./test-harness";

// Regression: with several pooled connections, the embedded database's socket
// server interleaved statements from different connections and lost writes
// that had reported success. Every pool on it now uses one connection.
describeEachDatabase("concurrent writes", (t) => {
  it("keeps every write that reported success when transactions and plain statements overlap", async () => {
    const keys = Array.from({ length: 40 }, (_, index) => `concurrency:${index}`);
    const results = await Promise.allSettled(
      keys.map((key, index) =>
        index % 2
          ? t.db.$transaction(async (tx) => {
              await tx.admin.count();
              await tx.$executeRaw`INSERT INTO "SignInThrottle" ("key", "failures", "windowStart") VALUES (${key}, 1, now())`;
            })
          : t.db.$executeRaw`INSERT INTO "SignInThrottle" ("key", "failures", "windowStart") VALUES (${key}, 1, now())`,
      ),
    );
    const succeeded = keys.filter((_, index) => results[index]!.status === "fulfilled");
    const stored = (await t.db.signInThrottle.findMany({ select: { key: true } })).map((row) => row.key);
    expect(succeeded).toHaveLength(keys.length);
    expect(stored.sort()).toEqual([...succeeded].sort());
  });
});
