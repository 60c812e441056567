import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fetchSettingsFromEnv } from "./fetch-settings";

const caFile = fileURLToPath(new URL("./testing/ca.pem", import.meta.url));

describe("fetch settings from the environment", () => {
  it("are the hardened defaults when nothing is set", () => {
    expect(fetchSettingsFromEnv({ NODE_ENV: "production" })).toEqual({});
  });

  it("trust a loopback fixture's CA only in a test process", () => {
    expect(fetchSettingsFromEnv({ NODE_ENV: "test", WARDEN_TEST_FETCH_CA_FILE: caFile }).testing?.allowLoopback).toBe(true);
    expect(() => fetchSettingsFromEnv({ NODE_ENV: "production", WARDEN_TEST_FETCH_CA_FILE: caFile })).toThrow(/test-only setting/);
    expect(() => fetchSettingsFromEnv({ NODE_ENV: "development", WARDEN_TEST_FETCH_CA_FILE: caFile })).toThrow(/refused unless NODE_ENV is "test"/);
  });
});
