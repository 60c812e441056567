/** True for Prisma's unique-constraint refusal (P2002) on the given model. */
export function isUniqueViolationOn(error: unknown, model: string): boolean {
  const known = error as { code?: unknown; meta?: { modelName?: unknown } } | null;
  return known?.code === "P2002" && known.meta?.modelName === model;
}
