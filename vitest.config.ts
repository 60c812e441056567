import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // "@/x" resolves from the repository root; scoped packages ("@prisma/...") are untouched.
    alias: [{ find: /^@\//, replacement: fileURLToPath(new URL("./", import.meta.url)) }],
  },
  test: {
    include: ["lib/**/*.test.ts", "examples/**/*.test.ts", "sdk/**/*.test.ts"],
    environment: "node",
    // Database tests start PGlite and create PostgreSQL databases; a small
    // machine needs the headroom, and running files one at a time keeps them
    // from competing for it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
