import { logoSrc } from "@/lib/clients/logo";
import { KindBadge } from "./client-badges";

export type PreRegisteredDetails = {
  clientId: string;
  displayName: string | null;
  owner: string | null;
  description: string | null;
  redirectUris: string[];
  logoId: string | null;
};

/**
 * The review view of a pre-registered client. Everything here is what an
 * admin wrote, not what the agent claims; the client_id is the fact the
 * IdP puts in every token, so it is shown whole.
 */
export function PreRegisteredDetailsCard({ client }: { client: PreRegisteredDetails }) {
  const label = client.displayName ?? client.clientId;
  return (
    <div className="space-y-5 rounded-lg border bg-surface p-5">
      <div className="flex items-start gap-4">
        {client.logoId ? (
          // A plain img on purpose: the image optimizer would fetch it without the admin's session.
          // eslint-disable-next-line @next/next/no-img-element
          <img src={logoSrc(client.logoId)} alt={`Logo of ${label}`} width={56} height={56} className="h-14 w-14 shrink-0 rounded-md border object-contain" />
        ) : (
          <div className="flex h-14 w-14 shrink-0 items-center justify-center rounded-md border bg-muted text-2xl font-semibold text-muted-foreground uppercase" aria-hidden>
            {label.charAt(0) || "?"}
          </div>
        )}
        <div className="min-w-0">
          <p className="flex items-center gap-2 text-xs font-medium tracking-wide text-muted-foreground uppercase">
            Client ID issued by your IdP <KindBadge kind="PRE_REGISTERED" />
          </p>
          <p className="font-mono text-xl font-semibold break-all" data-testid="client-id">
            {client.clientId}
          </p>
        </div>
      </div>
      <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_1fr]">
        <dt className="text-muted-foreground">Name</dt>
        <dd className="font-medium">{client.displayName}</dd>
        <dt className="text-muted-foreground">Owner or team</dt>
        <dd>{client.owner}</dd>
        <dt className="text-muted-foreground">Description</dt>
        <dd className="whitespace-pre-line">{client.description ?? <span className="text-muted-foreground">none</span>}</dd>
        <dt className="text-muted-foreground">Redirect URIs</dt>
        <dd>
          {client.redirectUris.length ? (
            <ul className="space-y-1">
              {client.redirectUris.map((uri) => (
                <li key={uri} className="font-mono text-xs break-all">
                  {uri}
                </li>
              ))}
            </ul>
          ) : (
            <span className="text-muted-foreground">none listed</span>
          )}
        </dd>
      </dl>
      <p className="text-xs text-muted-foreground">
        Warden never fetches anything for this client. Your IdP authenticates it and enforces its redirect URIs; Warden decides what it may call.
      </p>
    </div>
  );
}
