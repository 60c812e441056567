import "server-only";
import type { Db } from "@/lib/db/client";

export const DEFAULT_ENVIRONMENTS = [
  { key: "dev", name: "Development", position: 0 },
  { key: "staging", name: "Staging", position: 1 },
  { key: "prod", name: "Production", position: 2 },
] as const;

export type EnvironmentSummary = { id: string; key: string; name: string };

/** Idempotent, so every instance may run it at start-up. */
export async function ensureDefaultEnvironments(db: Db): Promise<void> {
  await db.environment.createMany({ data: [...DEFAULT_ENVIRONMENTS], skipDuplicates: true });
}

export async function listEnvironments(db: Db): Promise<EnvironmentSummary[]> {
  return db.environment.findMany({ orderBy: [{ position: "asc" }, { key: "asc" }], select: { id: true, key: true, name: true } });
}

export async function findEnvironment(db: Db, key: string): Promise<EnvironmentSummary | null> {
  return db.environment.findUnique({ where: { key }, select: { id: true, key: true, name: true } });
}
