// Verifies an environment's audit hash chain from the command line:
//   npm run audit:verify -- <environment key | global> [--from <ISO date>] [--to <ISO date>]
// Exit code 0 when the chain holds, 1 when it is broken (the first broken
// event is printed), 2 on bad arguments.
//
// With DATABASE_URL set, reads that PostgreSQL; otherwise the embedded
// database under ./data/pglite (stop the app first: it holds that database).
import path from "node:path";
import { parseArgs } from "node:util";
import { verifyAuditChain } from "../lib/audit/verify";
import { notifyIntegrityFailure } from "../lib/notifications/outbox";
import { createDb } from "../lib/db/client";
import { startEmbeddedDatabase } from "../lib/db/embedded";

function usage(message: string): never {
  console.error(`${message}\nUsage: npm run audit:verify -- <environment key | global> [--from <ISO date>] [--to <ISO date>]`);
  process.exit(2);
}

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) usage(`--${name} is not a date: ${value}`);
  return parsed;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" } }, allowPositionals: true });
  const key = positionals[0];
  if (!key || positionals.length > 1) usage("Name one environment.");
  const range = { from: date(values.from, "from"), to: date(values.to, "to") };

  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedDatabase({ dataDir: path.join("data", "pglite") });
  const db = createDb(process.env.DATABASE_URL ?? embedded!.url, embedded?.poolMax ?? 2);
  try {
    let environmentId: string | null = null;
    if (key !== "global") {
      const environment = await db.environment.findUnique({ where: { key } });
      if (!environment) usage(`There is no environment "${key}".`);
      environmentId = environment.id;
    }
    const result = await verifyAuditChain(db, environmentId, range);
    if (result.ok) {
      console.log(`OK: ${result.checked.toLocaleString("en")} events of ${key} verified; the chain is intact.`);
      return 0;
    }
    console.error(`BROKEN after ${result.checked.toLocaleString("en")} good events of ${key}.`);
    console.error(`First broken event: seq ${result.broken.seq}, id ${result.broken.id}, at ${result.broken.ts}`);
    console.error(result.broken.problem);
    // Subscribed webhooks are told once per break; the running Warden sends it.
    if (environmentId) await notifyIntegrityFailure(db, environmentId, result.broken, "npm run audit:verify");
    return 1;
  } finally {
    await db.$disconnect();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
