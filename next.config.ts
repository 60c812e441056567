import type { NextConfig } from "next";

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
    // Policy files are imported through a server action; room for the 2 MB the importer accepts.
    serverActions: { bodySizeLimit: "3mb" },
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
