import { AlertTriangle, CheckCircle2, ShieldAlert, ShieldCheck, ShieldQuestion, XCircle } from "lucide-react";
import type { ClientPreview } from "@/lib/clients/preview";
import { Badge } from "@/components/ui/badge";

/**
 * The review view of a client's metadata. The client_id host comes first and
 * largest: the name, logo and links are the publisher's claims, the host is
 * the one fact they cannot fake.
 */
export function ClientPreviewCard({ preview }: { preview: ClientPreview }) {
  return (
    <div className="space-y-5 rounded-lg border bg-surface p-5">
      <div className="flex items-start gap-4">
        <ClientLogo preview={preview} />
        <div className="min-w-0">
          <p className="text-xs font-medium tracking-wide text-muted-foreground uppercase">Published by</p>
          <p className="text-2xl font-semibold break-all" data-testid="client-hostname">
            {preview.hostname}
          </p>
          <p className="mt-1 font-mono text-xs break-all text-muted-foreground">{preview.clientId}</p>
        </div>
      </div>
      {preview.trust ? <TrustLine trust={preview.trust} /> : null}

      {preview.fetchError ? (
        <div role="alert" className="flex gap-2 rounded-md border border-destructive/40 bg-destructive/10 p-3 text-sm text-destructive">
          <XCircle className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
          <div>
            <p className="font-medium">The metadata could not be fetched</p>
            <p>{preview.fetchError.message}</p>
          </div>
        </div>
      ) : (
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_1fr]">
          <dt className="text-muted-foreground">Name (claimed)</dt>
          <dd className="font-medium">{preview.name ?? <span className="text-destructive">missing</span>}</dd>
          <dt className="text-muted-foreground">Redirect URIs</dt>
          <dd>
            <ul className="space-y-1">
              {preview.redirects.length === 0 ? <li className="text-destructive">none</li> : null}
              {preview.redirects.map((redirect) => (
                <li key={redirect.uri} className="flex flex-wrap items-center gap-2">
                  <Badge tone={redirect.host === preview.hostname ? "neutral" : "warning"}>{redirect.host}</Badge>
                  <span className="font-mono text-xs break-all">{redirect.uri}</span>
                </li>
              ))}
            </ul>
          </dd>
          <dt className="text-muted-foreground">Grant types</dt>
          <dd>{preview.grantTypes.length ? preview.grantTypes.join(", ") : <span className="text-muted-foreground">not stated (authorization_code)</span>}</dd>
          <dt className="text-muted-foreground">Authentication</dt>
          <dd className="font-mono text-xs">{preview.authMethod ?? "missing"}</dd>
          <dt className="text-muted-foreground">Scope asked for</dt>
          <dd>{preview.scope ?? <span className="text-muted-foreground">not stated</span>}</dd>
          <dt className="text-muted-foreground">Signing keys</dt>
          <dd>{preview.keys === "none" ? "none (public client)" : preview.keys}</dd>
          {preview.links.map((link) => (
            <div key={link.field} className="contents">
              <dt className="text-muted-foreground">{link.field}</dt>
              <dd className="font-mono text-xs break-all">{link.url}</dd>
            </div>
          ))}
        </dl>
      )}

      <IssueTable title="Rules broken" tone="error" issues={preview.fetchError ? [] : preview.errors} />
      <IssueTable title="Worth a second look" tone="warning" issues={preview.warnings} />
      {!preview.fetchError && preview.errors.length === 0 ? (
        <p className="flex items-center gap-2 text-sm text-success">
          <CheckCircle2 className="h-4 w-4" aria-hidden /> The document passes every validation rule.
        </p>
      ) : null}
    </div>
  );
}

function IssueTable({ title, tone, issues }: { title: string; tone: "error" | "warning"; issues: { code: string; field: string; message: string }[] }) {
  if (!issues.length) return null;
  return (
    <section aria-label={title}>
      <h3 className={`mb-2 flex items-center gap-2 text-sm font-medium ${tone === "error" ? "text-destructive" : ""}`}>
        {tone === "error" ? <XCircle className="h-4 w-4" aria-hidden /> : <AlertTriangle className="h-4 w-4 text-warning" aria-hidden />}
        {title} ({issues.length})
      </h3>
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-muted-foreground">
          <tr>
            <th className="py-1 pr-3 font-medium">Field</th>
            <th className="py-1 font-medium">What is wrong</th>
          </tr>
        </thead>
        <tbody className="divide-y">
          {issues.map((issue) => (
            <tr key={`${issue.code}-${issue.field}`}>
              <td className="py-1.5 pr-3 align-top font-mono text-xs">{issue.field}</td>
              <td className="py-1.5">{issue.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The logo as Warden stored it, from Warden's own origin (the page's CSP
 * allows images from nowhere else), or the name's initial when there is none
 * or it was refused; the reason is among the warnings.
 */
function ClientLogo({ preview }: { preview: ClientPreview }) {
  const label = preview.name ?? preview.hostname;
  if (preview.logo.status === "stored") {
    return (
      // A plain img on purpose: the image optimizer would fetch it without the admin's session.
      // eslint-disable-next-line @next/next/no-img-element
      <img src={preview.logo.src} alt={`Logo of ${label} (claimed)`} width={56} height={56} className="h-14 w-14 shrink-0 rounded-md border object-contain" />
    );
  }
  return (
    <div
      data-testid="client-logo-placeholder"
      title={preview.logo.status === "refused" ? preview.logo.reason : "No logo"}
      className="flex h-14 w-14 shrink-0 items-center justify-center rounded-md border bg-muted text-2xl font-semibold text-muted-foreground uppercase"
      aria-hidden
    >
      {label.replace(/^https?:\/\//, "").charAt(0) || "?"}
    </div>
  );
}

function TrustLine({ trust }: { trust: NonNullable<ClientPreview["trust"]> }) {
  const Icon = trust.verdict === "allow" ? ShieldCheck : trust.verdict === "deny" ? ShieldAlert : ShieldQuestion;
  const tone = trust.verdict === "allow" ? "text-success" : trust.verdict === "deny" ? "text-destructive" : "text-muted-foreground";
  return (
    <p className={`flex items-center gap-2 text-sm ${tone}`} data-testid="trust-rule">
      <Icon className="h-4 w-4 shrink-0" aria-hidden />
      <span>
        <span className="sr-only">Trust policy: </span>
        {trust.explanation}
      </span>
    </p>
  );
}
