/**
 * The events Warden sends to webhooks, and how each one reads as a message
 * for people (the Slack-compatible body).
 */

export const NOTIFICATION_EVENT_TYPES = [
  "approval.requested",
  "approval.decided",
  "approval.expired",
  "client.pending",
  "client.metadata_changed",
  "tool.definition_changed",
  "audit.integrity_failed",
  "config.published",
  "api_key.revoked",
] as const;

export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** Sent by "Send a test event" only; no destination subscribes to it. */
export const TEST_EVENT_TYPE = "webhook.test";

export const EVENT_LABELS: Record<NotificationEventType, string> = {
  "approval.requested": "An approval is requested",
  "approval.decided": "An approval is decided",
  "approval.expired": "An approval request expires",
  "client.pending": "A new client waits for review",
  "client.metadata_changed": "A client's metadata changed",
  "tool.definition_changed": "A tool's definition drifted",
  "audit.integrity_failed": "Audit integrity check failed",
  "config.published": "Config is published",
  "api_key.revoked": "An API key is revoked",
};

/** The Standard Webhooks event document: what a STANDARD destination receives, as JSON. */
export type NotificationEvent = {
  type: NotificationEventType | typeof TEST_EVENT_TYPE;
  timestamp: string;
  data: { environment: string } & Record<string, unknown>;
};

type SlackBody = { text: string; blocks: unknown[] };

/**
 * A Slack incoming-webhook body: `text` (the notification and fallback) and
 * a section block with a link to the page where a person acts on it.
 */
export function slackBody(event: NotificationEvent, publicUrl: string, now = new Date()): SlackBody {
  const { text, path, action } = describe(event, now);
  const url = path ? `${publicUrl.replace(/\/$/, "")}${path}` : null;
  const linked = url ? `${text} — <${url}|${action}>` : text;
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: linked } }];
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `Warden · ${escapeSlack(event.data.environment)} · ${event.type}` }] });
  return { text: linked, blocks };
}

function str(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** Slack treats &, < and > as markup. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function code(text: string): string {
  return `\`${escapeSlack(text.replace(/`/g, "'"))}\``;
}

function inMinutes(iso: string | null, now: Date): string | null {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now.getTime();
  if (!Number.isFinite(ms)) return null;
  if (ms <= 0) return "expired";
  const minutes = Math.ceil(ms / 60_000);
  return minutes >= 120 ? `expires in ${Math.round(minutes / 60)} h` : `expires in ${minutes} min`;
}

function describe(event: NotificationEvent, now: Date): { text: string; path: string | null; action: string } {
  const d = event.data;
  const env = encodeURIComponent(d.environment);
  const who = escapeSlack(str(d.subject) ?? "someone");
  const via = str(d.clientName) ?? str(d.clientId);
  const chain = `${who}${via ? ` via ${escapeSlack(via)}` : ""}`;
  const toolOn = `${code(str(d.tool) ?? "?")} on ${escapeSlack(str(d.server) ?? "?")}`;
  switch (event.type) {
    case "approval.requested": {
      const expiry = inMinutes(str(d.expiresAt), now);
      return { text: `Approval needed: ${chain} wants ${toolOn}${expiry ? ` (${expiry})` : ""}`, path: `/${env}/approvals`, action: "Review" };
    }
    case "approval.decided":
      return {
        text: `Approval ${d.decision === "approved" ? "granted" : "denied"}${str(d.decidedBy) ? ` by ${escapeSlack(str(d.decidedBy)!)}` : ""}: ${chain} ${d.decision === "approved" ? "may call" : "may not call"} ${toolOn}`,
        path: `/${env}/approvals?status=all`,
        action: "History",
      };
    case "approval.expired":
      return { text: `Approval expired unanswered, so the call was denied: ${chain} wanted ${toolOn}`, path: `/${env}/approvals?status=EXPIRED`, action: "History" };
    case "client.pending":
      return { text: `New client waits for review: ${escapeSlack(str(d.clientName) ?? str(d.clientId) ?? "?")}`, path: `/${env}/clients?status=PENDING`, action: "Review" };
    case "client.metadata_changed":
      return {
        text: `Client metadata changed${d.backToReview ? " and needs review again" : ""}: ${escapeSlack(str(d.clientName) ?? str(d.clientId) ?? "?")}`,
        path: `/${env}/clients`,
        action: "Review",
      };
    case "tool.definition_changed":
      return { text: `Tool definition drifted: ${toolOn} no longer matches what was approved`, path: `/${env}/servers`, action: "Review" };
    case "audit.integrity_failed":
      return { text: `Audit integrity check failed in ${escapeSlack(d.environment)}: ${escapeSlack(str(d.problem) ?? "the hash chain does not hold")}`, path: `/${env}/audit`, action: "Open the audit trail" };
    case "config.published":
      return { text: `Config version ${String(d.version ?? "?")} published${str(d.publishedBy) ? ` by ${escapeSlack(str(d.publishedBy)!)}` : ""}${str(d.note) ? `: ${escapeSlack(str(d.note)!)}` : ""}`, path: `/${env}/config`, action: "Open" };
    case "api_key.revoked":
      return { text: `API key revoked: ${escapeSlack(str(d.label) ?? "?")}${str(d.revokedBy) ? ` by ${escapeSlack(str(d.revokedBy)!)}` : ""}`, path: `/${env}/config/keys`, action: "Open" };
    case TEST_EVENT_TYPE:
      return { text: `Test event from Warden: this destination receives ${escapeSlack(d.environment)}'s notifications`, path: null, action: "" };
  }
}
