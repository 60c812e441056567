/**
 * A real OAuth 2.0 authorization server for tests and local trials, built on
 * the `oidc-provider` package (a certified implementation), not a mock. Agents
 * get access tokens with the client credentials grant and a resource indicator
 * (RFC 8707): JWTs whose `aud` is the MCP server's resource URI, carrying the
 * requested scopes and the claims the test assigns to that client (e.g.
 * `groups`, which Warden roles map from).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export type TokenIssuer = {
  issuer: string;
  /** Sets the extra claims tokens for this client carry from now on. */
  setClaims(clientId: string, claims: Record<string, unknown>): void;
  /** Gets an access token for `resource` as `clientId`, through the token endpoint. */
  token(clientId: string, input: { resource: string; scope?: string }): Promise<string>;
  close(): Promise<void>;
};

export const TOKEN_ISSUER_SECRET = "reference-token-issuer-secret-for-tests-only";

export async function startTokenIssuer(options: { port?: number; clients: string[]; scopes: string[] }): Promise<TokenIssuer> {
  const claimsByClient = new Map<string, Record<string, unknown>>();
  const port = options.port ?? 0;
  // The issuer names the port, so listen first (port 0 picks a free one) and attach the provider after.
  const listening = await new Promise<Server>((resolve) => {
    const server = createServer().listen(port, "127.0.0.1", () => resolve(server));
  });
  const actualPort = (listening.address() as AddressInfo).port;
  const issuer = `http://localhost:${actualPort}`;
  const provider = new Provider(issuer, {
    clients: options.clients.map((clientId) => ({
      client_id: clientId,
      client_secret: TOKEN_ISSUER_SECRET,
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_post",
      scope: options.scopes.join(" "),
    })),
    scopes: options.scopes,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => ({
          scope: options.scopes.join(" "),
          audience: resourceIndicator,
          accessTokenFormat: "jwt",
          accessTokenTTL: 600,
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    extraTokenClaims: (_ctx, token) => claimsByClient.get(token.clientId ?? "") ?? {},
    cookies: { keys: ["reference-token-issuer-cookie-key"] },
    ttl: { ClientCredentials: 600 },
  });
  provider.proxy = false;
  listening.on("request", provider.callback());

  return {
    issuer,
    setClaims: (clientId, claims) => void claimsByClient.set(clientId, claims),
    async token(clientId, input) {
      const body = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: TOKEN_ISSUER_SECRET, resource: input.resource });
      if (input.scope) body.set("scope", input.scope);
      const response = await fetch(`${issuer}/token`, { method: "POST", body });
      const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!response.ok || !json.access_token) throw new Error(`Token request failed: ${json.error} ${json.error_description ?? ""}`);
      return json.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
}

// `npx tsx examples/reference-mcp-server/token-issuer.ts`: an authorization
// server on this machine, so Warden can be tried end to end with no internet
// and no IdP. It plays an IdP with one pre-registered agent (an opaque
// client_id, as Okta or Entra ID issue them) and prints how to get its tokens.
if (process.argv[1]?.endsWith("reference-mcp-server/token-issuer.ts")) {
  const clientId = process.env.AGENT_CLIENT_ID ?? "0oa1b2c3d4";
  const resource = process.env.MCP_RESOURCE ?? "http://localhost:3333/mcp";
  const scopes = (process.env.AGENT_SCOPES ?? "tools:sales.read").split(/\s+/).filter(Boolean);
  const groups = (process.env.AGENT_GROUPS ?? "sales-analysts").split(",").filter(Boolean);
  void startTokenIssuer({ port: Number(process.env.PORT ?? 3334), clients: [clientId], scopes }).then((issuer) => {
    issuer.setClaims(clientId, { groups });
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: TOKEN_ISSUER_SECRET, resource, scope: scopes.join(" ") });
    console.log(`token issuer on ${issuer.issuer}: client_id ${clientId}, groups ${groups.join(", ")}, audience ${resource}`);
    console.log(`an access token (10 minutes): curl -s -d '${form}' ${issuer.issuer}/token`);
  });
}
