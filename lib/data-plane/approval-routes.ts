import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import { ApprovalError, consumeApproval, ConsumeApprovalSchema, getApproval, openApproval, OpenApprovalSchema } from "@/lib/approvals/approval-requests";
import type { Db } from "@/lib/db/client";
import { readNodeJsonBody } from "./read-body";

type Authenticate = (req: IncomingMessage, res: ServerResponse, method?: "GET" | "POST") => Promise<ApiKeyIdentity | null>;
type Send = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

const ROUTE = /^\/api\/v1\/approvals(?:\/([^/]+)(\/consume)?)?\/?$/;

/**
 * Asynchronous authorization for risky tool calls:
 * - POST /api/v1/approvals opens a request (201);
 * - GET /api/v1/approvals/:id is polled for the decision;
 * - POST /api/v1/approvals/:id/consume spends an approval on its call, once.
 */
export function createApprovalRoutes(db: Db, authenticate: Authenticate, send: Send) {
  return async function approvals(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const match = ROUTE.exec(pathname);
    if (!match) return false;
    const [, id, consume] = match;
    try {
      if (!id) {
        const key = await authenticate(req, res, "POST");
        if (!key) return true;
        const input = await parseBody(req, res, send, OpenApprovalSchema);
        if (!input) return true;
        const view = await openApproval(db, key, input);
        send(res, 201, view, { Location: `/api/v1/approvals/${view.id}` });
      } else if (consume) {
        const key = await authenticate(req, res, "POST");
        if (!key) return true;
        const input = await parseBody(req, res, send, ConsumeApprovalSchema);
        if (!input) return true;
        send(res, 200, await consumeApproval(db, key, decodeURIComponent(id), input));
      } else {
        const key = await authenticate(req, res, "GET");
        if (!key) return true;
        send(res, 200, await getApproval(db, key, decodeURIComponent(id)));
      }
    } catch (error) {
      if (error instanceof ApprovalError) send(res, error.status, { error: error.message, code: error.code });
      else if (error instanceof URIError) send(res, 404, { error: "No such approval request for this API key.", code: "not_found" });
      else throw error;
    }
    return true;
  };
}

async function parseBody<S extends z.ZodType>(req: IncomingMessage, res: ServerResponse, send: Send, schema: S): Promise<z.infer<S> | null> {
  const body = await readNodeJsonBody(req, 16 * 1024);
  if (!body.ok) {
    send(res, body.status, { error: body.error }, body.headers);
    return null;
  }
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    send(res, 400, { error: issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "Invalid body.", code: "invalid" });
    return null;
  }
  return parsed.data;
}
