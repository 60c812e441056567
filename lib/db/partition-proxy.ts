import { createServer, connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * For tests: a TCP proxy between Warden and a PostgreSQL database that can
 * "lose" the database. cut() closes every open connection and refuses new
 * ones, which is what a client sees when the database host stops or the
 * network between them is partitioned; heal() lets connections through
 * again. The database itself, shared with other tests, is never touched.
 */
export async function startPartitionProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as AddressInfo).port);
  return {
    /** The database's URL through the proxy. */
    url: url.toString(),
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    heal() {
      cut = false;
    },
    async close() {
      this.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
