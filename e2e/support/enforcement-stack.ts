import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import type { Page } from "@playwright/test";
import { createScratchDatabase, type ScratchDatabase } from "../../lib/db/testing";
import { startTokenIssuer, type TokenIssuer } from "../../examples/reference-mcp-server/token-issuer";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./reference-server-process";
import { publishDevelopment, signInToDashboard } from "./dashboard";
import { startWarden, type WardenProcess } from "./warden-process";

export type StackTool = { name: string; riskTier?: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"; requiresApproval?: boolean };

export type EnforcementStackOptions = {
  /** Names the suite's secrets, e.g. "approvals" → "approvals-e2e-session-secret-…". */
  name: string;
  owner: { email: string; password: string };
  ports: { warden: number; issuer: number; mcp: number };
  /** The agent the authorization server issues tokens to, with these scopes and claims. */
  agent: { clientId: string; scopes: string[]; claims: Record<string, unknown> };
  /** Written straight into the database in Development before any test runs. */
  seed: {
    /** The tools of the server sales-mcp, whose resource is the reference server and whose issuer is the token issuer. */
    tools: StackTool[];
    /** The role analyst (groups = sales-analysts), granted every tool with these scopes; no grants when absent. */
    analystGrantScopes?: string[];
    /** Whether the agent is registered and approved already. */
    approvedAgent: boolean;
  };
};

/**
 * The whole enforcement loop with real processes, for the suites that need
 * it: a Warden of its own on a scratch PostgreSQL database (so a suite may
 * stop it), an authorization server issuing the agent's access tokens, and,
 * once a suite has an API key, the reference MCP server enforcing Warden's
 * signed config.
 */
export class EnforcementStack {
  readonly resource: string;
  mcp: ReferenceServerProcess | undefined;

  private constructor(
    readonly options: EnforcementStackOptions,
    readonly database: ScratchDatabase,
    readonly warden: WardenProcess,
    readonly issuer: TokenIssuer,
  ) {
    this.resource = `http://127.0.0.1:${options.ports.mcp}/mcp`;
  }

  static async start(options: EnforcementStackOptions): Promise<EnforcementStack> {
    const database = await createScratchDatabase();
    let warden: WardenProcess | undefined;
    let issuer: TokenIssuer | undefined;
    try {
      warden = await startWarden(options.ports.warden, {
        DATABASE_URL: database.url,
        NEXTAUTH_SECRET: `${options.name}-e2e-session-secret-0123456789`,
        WARDEN_ENCRYPTION_KEY: `${options.name}-e2e-encryption-key-0123456789`,
        WARDEN_ADMIN_EMAIL: options.owner.email,
        WARDEN_ADMIN_PASSWORD: options.owner.password,
      });
      issuer = await startTokenIssuer({ port: options.ports.issuer, clients: [options.agent.clientId], scopes: options.agent.scopes });
      issuer.setClaims(options.agent.clientId, options.agent.claims);
      const stack = new EnforcementStack(options, database, warden, issuer);
      await stack.seed();
      return stack;
    } catch (error) {
      // A half-started stack must not keep its ports or database.
      await issuer?.close();
      await warden?.stop();
      await database.drop();
      throw error;
    }
  }

  private async seed() {
    const { seed, agent } = this.options;
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
         SELECT gen_random_uuid(), id, 'sales-mcp', $1, $2, $3, now() FROM "Environment" WHERE key = 'dev' RETURNING id`,
        [this.resource, this.issuer.issuer, agent.scopes],
      );
      for (const tool of seed.tools) {
        await client.query(`INSERT INTO "Tool" (id, "serverId", name, "riskTier", "requiresApproval", "updatedAt") VALUES (gen_random_uuid(), $1, $2, $3::"RiskTier", $4, now())`, [
          rows[0]!.id,
          tool.name,
          tool.riskTier ?? "LOW",
          tool.requiresApproval ?? false,
        ]);
      }
      await client.query(
        `INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
         SELECT gen_random_uuid(), id, 'analyst', 'groups', 'sales-analysts', now() FROM "Environment" WHERE key = 'dev'`,
      );
      if (seed.analystGrantScopes) {
        await client.query(
          `INSERT INTO "Grant" (id, "roleId", "toolId", "requiredScopes", "updatedAt")
           SELECT gen_random_uuid(), "Role".id, "Tool".id, $1, now() FROM "Role", "Tool" WHERE "Role".name = 'analyst'`,
          [seed.analystGrantScopes],
        );
      }
      if (seed.approvedAgent) {
        await client.query(
          `INSERT INTO "Client" (id, "environmentId", "clientId", status, "updatedAt") SELECT gen_random_uuid(), id, $1, 'APPROVED', now() FROM "Environment" WHERE key = 'dev'`,
          [agent.clientId],
        );
      }
    } finally {
      await client.end();
    }
  }

  /** Signs the owner in to this stack's dashboard. */
  async signIn(page: Page) {
    await signInToDashboard(page, this.warden.url, this.options.owner);
  }

  /** Publishes the next version of Development from the dashboard. */
  async publish(page: Page, version: number) {
    await publishDevelopment(page, this.warden.url, version);
  }

  /** Starts the reference MCP server enforcing this Warden's config; `env` adds to or overrides its settings. */
  async startMcp(env: Record<string, string>): Promise<ReferenceServerProcess> {
    this.mcp = await startReferenceServerProcess(this.options.ports.mcp, { WARDEN_URL: this.warden.url, OAUTH_ISSUER: this.issuer.issuer, MCP_RESOURCE: this.resource, ...env });
    return this.mcp;
  }

  /** The agent: the official MCP client, connected to the reference server with a fresh access token. */
  async connectAgent(name: string): Promise<Client> {
    const { clientId, scopes } = this.options.agent;
    const token = await this.issuer.token(clientId, { resource: this.resource, scope: scopes.join(" ") });
    const client = new Client({ name, version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(this.resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  async stop() {
    await this.mcp?.stop();
    await this.issuer.close();
    await this.warden.stop();
    await this.database.drop();
  }
}
