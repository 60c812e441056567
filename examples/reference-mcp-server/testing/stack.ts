import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createApprovalClient, createAuditReporter, createWardenClient, type AuditReporter, type AuditReporterOptions, type WardenClient } from "@/sdk/src/index";
import { AGENT, startWardenFixture, type WardenFixture } from "@/sdk/test/warden-fixture";
import { startReferenceMcpServer, type RunningReferenceServer } from "../server";
import { startTokenIssuer, type TokenIssuer } from "../token-issuer";

export { AGENT };
export const RESOURCE = "https://sales.example.com/mcp";
const silent = { info() {}, warn() {}, error() {} };

export type ReferenceStack = {
  warden: WardenFixture;
  issuer: TokenIssuer;
  sdk: WardenClient;
  audit: AuditReporter;
  mcp: RunningReferenceServer;
  /** The official MCP client, connected to the reference server with `token` as its bearer token (none when absent). */
  connect(token?: string): Promise<Client>;
  close(): Promise<void>;
};

/**
 * The reference MCP server enforcing a Warden fixture's config through the
 * SDK, with a token issuer that knows AGENT (groups: sales-analysts) and
 * `clients`. Tests that call tools needing approval ask for `approvals`.
 */
export async function startReferenceStack(options: {
  clients?: string[];
  /** Runs on the Warden fixture before the SDK starts, e.g. to publish a version. */
  prepare?: (warden: WardenFixture) => Promise<unknown>;
  /** Poll once before the server starts, so it enforces a verified config from its first call. */
  pollFirst?: boolean;
  /** How the audit reporter sends; by default it flushes only when a test asks. */
  audit?: Pick<AuditReporterOptions, "batchSize" | "fetch" | "flushIntervalMs">;
  approvals?: { expiresInSeconds: number };
  scopesSupported?: string[];
}): Promise<ReferenceStack> {
  const warden = await startWardenFixture();
  const issuer = await startTokenIssuer({ clients: [AGENT, ...(options.clients ?? [])], scopes: ["tools:sales.read", "tools:sales.write"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });
  await options.prepare?.(warden);
  const sdk = createWardenClient({ url: warden.base, apiKey: warden.apiKey, jwks: warden.jwks, logger: silent });
  if (options.pollFirst) await sdk.pollNow();
  const audit = createAuditReporter({ url: warden.base, apiKey: warden.apiKey, logger: silent, ...(options.audit ?? { flushIntervalMs: 60_000 }) });
  const approvals = options.approvals ? createApprovalClient({ url: warden.base, apiKey: warden.apiKey, logger: silent, backoff: { baseMs: 50, maxMs: 200 } }) : undefined;
  const mcp = await startReferenceMcpServer({
    enforce: {
      warden: sdk,
      audit,
      issuer: issuer.issuer,
      resource: RESOURCE,
      ...(approvals ? { approvals, approvalExpiresInSeconds: options.approvals!.expiresInSeconds } : {}),
      ...(options.scopesSupported ? { scopesSupported: options.scopesSupported } : {}),
    },
  });
  return {
    warden,
    issuer,
    sdk,
    audit,
    mcp,
    async connect(token) {
      const client = new Client({ name: "test-agent", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {} }));
      return client;
    },
    async close() {
      sdk.close();
      await audit.close();
      await mcp.close();
      await issuer.close();
      await warden.close();
    },
  };
}
