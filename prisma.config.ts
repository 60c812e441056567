import { defineConfig } from "prisma/config";

// The datasource URL is resolved at run time by lib/db (DATABASE_URL or the
// embedded database); the CLI needs it only for commands this project runs
// through its own offline migration scripts instead.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
