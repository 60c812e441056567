/**
 * The Warden gateway: a Streamable HTTP MCP endpoint in front of one MCP
 * server you did not write (any language), enforcing Warden without changing
 * it. To Warden it is that server: it holds the server's API key, polls its
 * signed config like any SDK user, and reports every decision.
 *
 *   WARDEN_URL=https://warden.example.com WARDEN_API_KEY=wdn_… WARDEN_JWKS="$(cat warden-keys.json)" \
 *   GATEWAY_RESOURCE=https://tools.example.com/mcp OAUTH_ISSUER=https://idp.example.com \
 *   UPSTREAM_COMMAND=npx UPSTREAM_ARGS='["-y","some-mcp-server"]' npm run gateway
 *
 * Every variable is listed and checked in lib/gateway/settings.ts.
 */
import { createServer } from "node:http";
import { hostname } from "node:os";
import type { AddressInfo } from "node:net";
import { createApprovalClient, createAuditReporter, createWardenClient, SDK_VERSION } from "./sdk/src/index";
import { createGateway } from "./lib/gateway/gateway";
import { GatewayConfigError, gatewaySettingsFromEnv, upstreamLabel } from "./lib/gateway/settings";
import { UpstreamConnection } from "./lib/gateway/upstream";

const log = (message: string) => console.log(`[warden-gateway] ${message}`);
const logger = { info: log, warn: (message: string) => console.warn(`[warden-gateway] ${message}`) };

async function main() {
  const settings = gatewaySettingsFromEnv(process.env);
  const label = upstreamLabel(settings.upstream);
  // The fleet view shows each poller's reported SDK version; a gateway says what it is and what it fronts there.
  const fleetVersion = `gateway ${SDK_VERSION} ${label}`.slice(0, 64);
  const reportingFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    if (headers.has("x-instance-id")) headers.set("x-sdk-version", fleetVersion);
    return fetch(input, { ...init, headers });
  };
  const warden = createWardenClient({
    url: settings.warden.url,
    apiKey: settings.warden.apiKey,
    jwks: settings.warden.jwks as Parameters<typeof createWardenClient>[0]["jwks"],
    allowKeyRefresh: settings.warden.allowKeyRefresh,
    stateFile: settings.warden.stateFile,
    instanceId: settings.warden.instanceId ?? `gateway-${hostname()}-${process.pid}`,
    ...(settings.warden.pollIntervalMs ? { pollIntervalMs: settings.warden.pollIntervalMs } : {}),
    fetch: reportingFetch,
    onConfigApplied: (config) => {
      // Tokens are checked against GATEWAY_RESOURCE; if Warden names another resource for this server, agents will be sent elsewhere.
      const described = config.config.servers.find((server) => server.name === config.server)?.resource;
      if (described && described !== settings.resource) logger.warn(`Warden describes ${config.server} with resource ${described}, but GATEWAY_RESOURCE is ${settings.resource}; make them the same.`);
    },
  });
  const audit = createAuditReporter({ url: settings.warden.url, apiKey: settings.warden.apiKey, flushIntervalMs: settings.warden.auditFlushMs });
  const approvals = createApprovalClient({ url: settings.warden.url, apiKey: settings.warden.apiKey });
  const upstream = new UpstreamConnection(settings.upstream, logger);
  await warden.start();
  // The upstream may start slowly; the gateway serves (and refuses with 502) meanwhile, and keeps reconnecting.
  await upstream.connect().catch((error: unknown) => logger.warn(error instanceof Error ? error.message : String(error)));

  const gateway = createGateway({ settings, warden, audit, approvals, upstream, logger });
  const server = createServer((req, res) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    void gateway.handle(req, res);
  });
  // Slow or stalled clients cannot hold sockets forever.
  server.requestTimeout = 15 * 60_000;
  server.headersTimeout = 30_000;
  server.listen(settings.listen.port, settings.listen.host, () => {
    const { port } = server.address() as AddressInfo;
    const credential = settings.tokenExchange ? `, calling it with on-behalf-of tokens for ${settings.tokenExchange.audience}` : "";
    log(`serving ${settings.resource} on http://${settings.listen.host}:${port}, in front of ${label}${credential}`);
  });

  const shutdown = async (signal: string) => {
    log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    warden.close();
    await gateway.close();
    await audit.close();
    await upstream.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error instanceof GatewayConfigError ? error.message : `[warden-gateway] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
