import { createServer, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

export type ReceivedMessage = { id: string; timestamp: number; verified: boolean; event: { type: string; data: Record<string, unknown> } | Record<string, unknown>; receivedAt: number };

/**
 * A webhook receiver as a customer would write it: it verifies each message
 * with the Standard Webhooks reference library and the secret Warden showed,
 * and answers with the next status of its script (then 204).
 */
export async function startWebhookReceiver(port: number) {
  let secret: string | null = null;
  const script: number[] = [];
  const messages: ReceivedMessage[] = [];
  /** Every request, failures included: the webhook-id and the status answered. */
  const attempts: { id: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = req.headers as Record<string, string>;
      let event: ReceivedMessage["event"] | null = null;
      try {
        event = secret ? (new Webhook(secret).verify(body, headers) as ReceivedMessage["event"]) : null;
      } catch {
        event = null;
      }
      const status = event ? (script.shift() ?? 204) : 401;
      attempts.push({ id: headers["webhook-id"] ?? "", status });
      if (event && status < 300) messages.push({ id: headers["webhook-id"]!, timestamp: Number(headers["webhook-timestamp"]), verified: true, event, receivedAt: Date.now() });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}/warden`,
    messages,
    attempts,
    setSecret(value: string) {
      secret = value;
    },
    /** The next answers, e.g. [500, 503, 500] for three failures. */
    failNext(...statuses: number[]) {
      script.push(...statuses);
    },
    clearScript() {
      script.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
