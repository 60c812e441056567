import { X } from "lucide-react";
import Link from "next/link";
import type { AuditEventLinks } from "@/lib/audit/links";
import type { AuditEvent } from "@/lib/db/generated/client.ts";
import { Badge } from "@/components/ui/badge";
import { DecisionBadge } from "./decision-badge";


function Row({ label, children, href }: { label: string; children: React.ReactNode; href?: string }) {
  return (
    <>
      <dt className="text-muted-foreground">{label}</dt>
      {/* Reasons and details keep their line breaks; a long word breaks only where it cannot fit. */}
      <dd className="min-w-0 whitespace-pre-wrap break-words">
        {children}
        {href ? (
          <>
            {" "}
            <Link href={href} className="text-primary hover:underline">
              open
            </Link>
          </>
        ) : null}
      </dd>
    </>
  );
}

/** One event in full: every field, its details as formatted JSON, its place in the hash chain, and links to what it names. */
export function AuditEventDetail({
  event,
  links,
  closeHref,
  mismatch,
}: {
  event: AuditEvent;
  links: AuditEventLinks;
  closeHref: string;
  /** Set when re-deciding this reported decision with its config version gave another answer. */
  mismatch?: { expectedDecision: string; expectedReason: string; message: string; replayed: boolean } | null;
}) {
  return (
    <section aria-label="Event detail" className="space-y-4 rounded-lg border bg-surface p-5">
      {mismatch ? (
        <div role="alert" className="rounded-md border border-destructive/40 bg-destructive/10 px-4 py-3 text-sm">
          <p className="font-medium text-destructive">
            Config v{event.configVersion} would not have made this decision: it would {mismatch.expectedDecision} ({mismatch.expectedReason}).
          </p>
          <p className="mt-1">{mismatch.message}</p>
          <p className="mt-1 text-muted-foreground">
            {mismatch.replayed ? "Decided again from the inputs the server recorded." : "The server recorded no inputs; no token at all would be allowed this call."} A
            misconfigured MCP server, an outdated SDK or a compromised producer reports decisions like this.
          </p>
        </div>
      ) : null}
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 className="font-medium">
            <code>{event.action}</code> <DecisionBadge decision={event.decision} />
          </h2>
          <p className="text-xs text-muted-foreground">{event.ts.toISOString()}</p>
        </div>
        <Link href={closeHref} scroll={false} className="rounded-md p-1 hover:bg-muted" aria-label="Close the event detail">
          <X className="h-4 w-4" aria-hidden />
        </Link>
      </div>
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-sm">
        <Row label="Source">
          <Badge tone={event.source === "mcp" ? "primary" : "neutral"}>{event.source}</Badge>
        </Row>
        <Row label={event.source === "admin" ? "Admin" : "User (sub)"} href={links.admin}>
          {event.actorLabel ? `${event.actorLabel} (${event.actor})` : event.actor}
        </Row>
        {event.clientId ? (
          <Row label="Client" href={links.client}>
            {event.clientId}
          </Row>
        ) : null}
        {event.server ? (
          <Row label="Server" href={links.server}>
            {event.server}
          </Row>
        ) : null}
        {event.tool ? (
          <Row label="Tool" href={links.tool}>
            {event.tool}
          </Row>
        ) : null}
        {event.target ? <Row label="Target">{event.target}</Row> : null}
        {event.reason ? <Row label="Reason">{event.reason}</Row> : null}
        {event.configVersion ? (
          <Row label="Config version" href={links.configVersion}>
            v{event.configVersion}
          </Row>
        ) : null}
        {event.requestId ? <Row label="Request id">{event.requestId}</Row> : null}
        {event.ip ? <Row label="IP">{event.ip}</Row> : null}
        <Row label="Received">{event.receivedAt.toISOString()}</Row>
        <Row label="Event id">{event.id}</Row>
        <Row label="Chain position">#{event.seq.toString()}</Row>
        <Row label="Hash">
          <code className="text-xs">{event.hash}</code>
        </Row>
        <Row label="Previous hash">
          <code className="text-xs">{event.prevHash ?? "none (start of the chain)"}</code>
        </Row>
      </dl>
      {event.source === "mcp" && event.decision && event.decision !== "error" ? (
        <div>
          <h3 className="text-sm font-medium">Decision inputs</h3>
          {event.inputs ? (
            <pre className="mt-1 max-h-60 overflow-auto rounded-md bg-muted p-3 text-xs">{JSON.stringify(event.inputs, null, 2)}</pre>
          ) : (
            <p className="mt-1 text-sm text-muted-foreground">Not recorded (an older SDK): this call cannot be replayed against another config.</p>
          )}
        </div>
      ) : null}
      <div>
        <h3 className="text-sm font-medium">Details</h3>
        <pre className="mt-1 max-h-80 overflow-auto rounded-md bg-muted p-3 text-xs">{event.details ? JSON.stringify(event.details, null, 2) : "none"}</pre>
      </div>
    </section>
  );
}
