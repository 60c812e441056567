import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { readFileIfExists, writeFileAtomic } from "../src/atomic-file";
import { RingBuffer } from "../src/ring-buffer";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("replaces a file whole, leaves no temporary files, and many concurrent writers never produce a torn file", async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-atomic-"));
  const path = join(dir, "state.json");
  expect(await readFileIfExists(path)).toBeNull();
  await writeFile(path, "old");
  const payloads = Array.from({ length: 20 }, (_, index) => JSON.stringify({ index, pad: "x".repeat(50_000 + index) }));
  await Promise.all(payloads.map((payload) => writeFileAtomic(path, payload)));
  expect(payloads).toContain(await readFile(path, "utf8"));
  expect(await readdir(dir)).toEqual(["state.json"]);
});

it("a ring buffer drops the oldest when full and counts the drops", () => {
  const ring = new RingBuffer<number>(3);
  for (let n = 1; n <= 5; n++) ring.push(n);
  expect(ring.dropped).toBe(2);
  expect(ring.take(2)).toEqual([3, 4]);
  ring.push(6);
  expect(ring.take(10)).toEqual([5, 6]);
  expect(ring.size).toBe(0);
});
