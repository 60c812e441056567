/**
 * Publishes client metadata documents over HTTPS on loopback for the
 * end-to-end tests, signed by the test-only CA that the e2e Warden server is
 * told to trust (WARDEN_TEST_FETCH_CA_FILE, honoured only with NODE_ENV=test).
 *
 * The real VS Code document is served byte for byte except its origin, which
 * becomes this server's own (the only rewrite the fixtures allow). A second,
 * "agent" document can be changed by the test through /control/agent, to
 * exercise refreshes; that control lives here, on the fixture, never in Warden.
 */
import { readFileSync } from "node:fs";
import { startHttpsFixture } from "../../lib/clients/testing/fixture-server";

export const CIMD_FIXTURE_PORT = Number(process.env.CIMD_FIXTURE_PORT ?? Number(process.env.WARDEN_E2E_PORT ?? 3200) + 2);
export const CIMD_FIXTURE_ORIGIN = `https://localhost:${CIMD_FIXTURE_PORT}`;

const vscode = readFileSync(new URL("../../lib/clients/testing/cimd/vscode.json", import.meta.url), "utf8").replaceAll("https://vscode.dev", CIMD_FIXTURE_ORIGIN);

function agentDocument(redirect: string) {
  return JSON.stringify({
    client_id: `${CIMD_FIXTURE_ORIGIN}/agent/client.json`,
    client_name: "Research Agent",
    redirect_uris: [redirect],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "none",
  });
}

/** A 1×1 PNG, served as a client logo. */
const PNG_LOGO = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const SVG_LOGO = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>';

/**
 * A valid document at any /echo/client.json?… URL, its client_id being that
 * exact URL: each test names a client no run has seen before (the intake of
 * a known client changes nothing). ?name= sets client_name, ?logo=svg points
 * logo_uri at an SVG instead of the PNG.
 */
function echoDocument(requestUrl: string) {
  const url = new URL(requestUrl, CIMD_FIXTURE_ORIGIN);
  return JSON.stringify({
    client_id: `${CIMD_FIXTURE_ORIGIN}${requestUrl}`,
    client_name: url.searchParams.get("name") ?? "Echo Agent",
    redirect_uris: [`${CIMD_FIXTURE_ORIGIN}/callback`],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "none",
    logo_uri: `${CIMD_FIXTURE_ORIGIN}/logos/${url.searchParams.get("logo") === "svg" ? "agent.svg" : "agent.png"}`,
  });
}

if (process.argv[1]?.endsWith("cimd-fixture.ts")) {
  let agentRedirect = `${CIMD_FIXTURE_ORIGIN}/callback`;
  const json = { "Content-Type": "application/json" };
  void startHttpsFixture(
    {
      "/oauth/client-metadata.json": (_req, res) => res.writeHead(200, json).end(vscode),
      "/leaky/client.json": (_req, res) =>
        res.writeHead(200, json).end(JSON.stringify({ client_id: `${CIMD_FIXTURE_ORIGIN}/leaky/client.json`, client_name: "Leaky", client_secret: "oops", redirect_uris: ["http://evil.example/cb"], token_endpoint_auth_method: "client_secret_basic" })),
      "/agent/client.json": (_req, res) => res.writeHead(200, json).end(agentDocument(agentRedirect)),
      "/control/agent": (req, res) => {
        agentRedirect = new URL(req.url ?? "", CIMD_FIXTURE_ORIGIN).searchParams.get("redirect") ?? agentRedirect;
        res.writeHead(204).end();
      },
      "/echo/client.json": (req, res) => res.writeHead(200, json).end(echoDocument(req.url ?? "/echo/client.json")),
      "/logos/agent.png": (_req, res) => res.writeHead(200, { "Content-Type": "image/png" }).end(PNG_LOGO),
      "/logos/agent.svg": (_req, res) => res.writeHead(200, { "Content-Type": "image/svg+xml" }).end(SVG_LOGO),
      "/health": (_req, res) => res.writeHead(200).end("ok"),
    },
    CIMD_FIXTURE_PORT,
  ).then(() => console.log(`client metadata fixtures on ${CIMD_FIXTURE_ORIGIN}`));
}
