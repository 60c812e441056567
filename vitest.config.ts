import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // "@/x" resolves from the repository root; scoped packages ("@prisma/...") are untouched.
    alias: [
      { find: /^@\//, replacement: fileURLToPath(new URL("./", import.meta.url)) },
      // Modules that reach the database or secrets start with `import "server-only"`.
      // Next resolves it per layer (empty on the server; a build error in a client
      // component). Outside Next, plain Node picks the package's throwing default,
      // so tests load the empty variant, as tsx does through tsconfig.json's paths.
      { find: /^server-only$/, replacement: fileURLToPath(new URL("./node_modules/server-only/empty.js", import.meta.url)) },
    ],
  },
  test: {
    include: ["lib/**/*.test.ts", "actions/**/*.test.ts", "examples/**/*.test.ts", "sdk/**/*.test.ts"],
    environment: "node",
    // Database tests start PGlite and create PostgreSQL databases; a small
    // machine needs the headroom, and running files one at a time keeps them
    // from competing for it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
