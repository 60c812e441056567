/**
 * The benchmark's upstream, in its own process so that it does not share a
 * core's event loop with the gateway or the load generator: the third-party
 * server-everything over Streamable HTTP on loopback.
 */
import { startEverythingServer } from "../lib/mcp-import/testing/everything-server";

const server = await startEverythingServer();
console.log(`upstream ${server.url}`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
