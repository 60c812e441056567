import type { NextConfig } from "next";
import { SERVER_ACTION_BODY_LIMIT_BYTES } from "./lib/http/server-action-limits";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // `npm test` type-checks the whole project (app, lib, scripts, e2e) with
  // tsc before anything runs; repeating a narrower check here only slows
  // every start-up build.
  typescript: { ignoreBuildErrors: true },
  reactStrictMode: true,
  // Security headers are set by server.ts on every response (pages, assets and
  // the data plane alike), so they are not repeated here.
  experimental: {
    // forbidden() renders app/forbidden.tsx when a signed-in admin lacks the role.
    authInterrupts: true,
    // The same limit server.ts enforces before Next reads an action's body (lib/http/request-gate.ts).
    serverActions: { bodySizeLimit: SERVER_ACTION_BODY_LIMIT_BYTES },
  },
  // Database drivers load Wasm and native-looking modules at run time; bundling
  // them gains nothing and breaks their file lookups.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "@electric-sql/pglite-socket",
    "@prisma/schema-engine-wasm",
    "@prisma/adapter-pg",
    "pg",
  ],
};

export default nextConfig;
