import { describe, expect, it } from "vitest";
import { GatewayConfigError, gatewaySettingsFromEnv, upstreamLabel } from "./settings";

const base = {
  WARDEN_URL: "https://warden.example.com",
  WARDEN_API_KEY: "wdn_prod_abc_secret",
  WARDEN_ALLOW_KEY_REFRESH: "true",
  GATEWAY_RESOURCE: "https://tools.example.com/mcp",
  OAUTH_ISSUER: "https://idp.example.com",
};

describe("gateway settings", () => {
  it("read an HTTP upstream with a static credential that only the upstream gets", () => {
    const settings = gatewaySettingsFromEnv({ ...base, UPSTREAM_URL: "http://127.0.0.1:9000/mcp", UPSTREAM_HEADER: "Authorization: Bearer upstream-secret" });
    expect(settings.upstream).toEqual({ kind: "http", url: "http://127.0.0.1:9000/mcp", headers: { Authorization: "Bearer upstream-secret" } });
    expect(settings).toMatchObject({ allowedHosts: ["tools.example.com"], allowedOrigins: ["https://tools.example.com"], maxBodyBytes: 1048576, upstreamTimeoutMs: 60000, listen: { port: 3400, host: "127.0.0.1" } });
  });
  it("read a stdio upstream, whose environment never holds the gateway's secrets", () => {
    const settings = gatewaySettingsFromEnv({ ...base, UPSTREAM_COMMAND: "node", UPSTREAM_ARGS: '["server.js","stdio"]', PATH: "/usr/bin" });
    expect(settings.upstream).toMatchObject({ kind: "stdio", command: "node", args: ["server.js", "stdio"] });
    const env = settings.upstream.kind === "stdio" ? settings.upstream.env : {};
    expect(env.PATH).toBe("/usr/bin");
    expect(Object.keys(env).filter((name) => /^(WARDEN|GATEWAY|OAUTH|UPSTREAM)_/.test(name))).toEqual([]);
    expect(upstreamLabel(settings.upstream)).toBe("stdio:node server.js stdio");
  });
  it("fail with one sentence per wrong variable", () => {
    const attempt = () => gatewaySettingsFromEnv({ WARDEN_URL: "warden", UPSTREAM_URL: "http://a/mcp", UPSTREAM_COMMAND: "node", UPSTREAM_ARGS: "server.js", GATEWAY_PORT: "http" });
    expect(attempt).toThrow(GatewayConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of ["WARDEN_URL", "WARDEN_API_KEY", "GATEWAY_RESOURCE", "OAUTH_ISSUER", "UPSTREAM_URL", "UPSTREAM_ARGS", "GATEWAY_PORT", "WARDEN_JWKS"]) expect(message).toContain(`- ${name}`);
  });
  it("read an on-behalf-of upstream credential, refused beside a static one or a stdio upstream", () => {
    const http = { ...base, UPSTREAM_URL: "http://127.0.0.1:9000/mcp" };
    const settings = gatewaySettingsFromEnv({ ...http, UPSTREAM_TOKEN_EXCHANGE_AUDIENCE: "https://calendar.example.com/api", UPSTREAM_TOKEN_EXCHANGE_SCOPE: " calendar:read  calendar:write " });
    expect(settings.tokenExchange).toEqual({ audience: "https://calendar.example.com/api", scope: ["calendar:read", "calendar:write"] });
    expect(settings.upstream).toMatchObject({ headers: {} });
    expect(gatewaySettingsFromEnv(http).tokenExchange).toBeUndefined();
    const failure = (env: Record<string, string>) => {
      try {
        gatewaySettingsFromEnv(env);
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    };
    expect(failure({ ...http, UPSTREAM_HEADER: "Authorization: Bearer s", UPSTREAM_TOKEN_EXCHANGE_AUDIENCE: "https://calendar.example.com/api" })).toContain("Set either UPSTREAM_HEADER");
    expect(failure({ ...base, UPSTREAM_COMMAND: "node", UPSTREAM_TOKEN_EXCHANGE_AUDIENCE: "https://calendar.example.com/api" })).toMatch(/needs an HTTP upstream.*stdio server/);
    expect(failure({ ...http, UPSTREAM_TOKEN_EXCHANGE_SCOPE: "calendar:read" })).toContain("- UPSTREAM_TOKEN_EXCHANGE_SCOPE: UPSTREAM_TOKEN_EXCHANGE_SCOPE goes with UPSTREAM_TOKEN_EXCHANGE_AUDIENCE");
    expect(failure({ ...http, UPSTREAM_TOKEN_EXCHANGE_AUDIENCE: "calendar" })).toContain("- UPSTREAM_TOKEN_EXCHANGE_AUDIENCE");
  });
});
