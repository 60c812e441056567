import "server-only";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { findEnvironment, type EnvironmentSummary } from "./environments";
import { isEnvironmentKey } from "./key";

/** The environment named by the URL, or a 404 page: a typo must not silently land in another environment. */
export async function environmentFromParams(params: Promise<{ env: string }>): Promise<EnvironmentSummary> {
  const { env } = await params;
  const environment = isEnvironmentKey(env) ? await findEnvironment(getDb(), env) : null;
  if (!environment) notFound();
  return environment;
}
