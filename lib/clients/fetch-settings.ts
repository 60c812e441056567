import { readFileSync } from "node:fs";
import type { FetchSettings } from "./preview";

/**
 * The fetcher's settings for this process. WARDEN_TEST_FETCH_CA_FILE lets the
 * end-to-end tests serve client metadata from a loopback HTTPS fixture signed
 * by their own CA; it is honoured only when NODE_ENV is "test", and a
 * production process refuses to start with it.
 */
export function fetchSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): FetchSettings {
  const caFile = env.WARDEN_TEST_FETCH_CA_FILE;
  if (!caFile) return {};
  if (env.NODE_ENV !== "test") {
    throw new Error("WARDEN_TEST_FETCH_CA_FILE is a test-only setting; it is refused unless NODE_ENV is \"test\".");
  }
  return { testing: { allowLoopback: true, ca: readFileSync(caFile) } };
}
