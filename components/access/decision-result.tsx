import { CheckCircle2, XCircle } from "lucide-react";
import { DECISION_REASON_LABELS } from "@/lib/policy/reasons";
import type { Decision } from "@/sdk/src/contract/policy";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";

/** The decision, said first and large, then why and what it was based on. */
export function DecisionResult({ decision }: { decision: Decision }) {
  const allowed = decision.decision === "allow";
  const Icon = allowed ? CheckCircle2 : XCircle;
  return (
    <section
      aria-labelledby="decision-heading"
      className={cn("rounded-lg border p-5", allowed ? "border-success/40 bg-success/10" : "border-destructive/40 bg-destructive/10")}
    >
      <h2 id="decision-heading" className={cn("flex items-center gap-2 text-2xl font-semibold", allowed ? "text-success" : "text-destructive")}>
        <Icon className="h-7 w-7" aria-hidden />
        {allowed ? "Allowed" : "Denied"}
      </h2>
      <p className="mt-2 font-medium">{DECISION_REASON_LABELS[decision.reason]}</p>
      <p className="mt-1 text-sm">{decision.message}</p>

      <dl className="mt-4 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-2 text-sm">
        <dt className="text-muted-foreground">Reason code</dt>
        <dd>
          <code className="rounded bg-muted px-1.5 py-0.5 text-xs">{decision.reason}</code>
        </dd>
        {decision.grant ? (
          <>
            <dt className="text-muted-foreground">{allowed ? "Deciding grant" : "Closest grant"}</dt>
            <dd>
              Role <strong>{decision.grant.role}</strong> may call{" "}
              <code className="text-xs">
                {decision.grant.server}/{decision.grant.tool}
              </code>{" "}
              {decision.grant.requiredScopes.length > 0 ? <>with {scopeList(decision.grant.requiredScopes)}</> : "with no scope required"}
            </dd>
          </>
        ) : null}
        {decision.missingScopes?.length ? (
          <>
            <dt className="text-muted-foreground">Missing scopes</dt>
            <dd className="flex flex-wrap gap-1">
              {decision.missingScopes.map((scope) => (
                <Badge key={scope} tone="danger">
                  {scope}
                </Badge>
              ))}
            </dd>
          </>
        ) : null}
        <dt className="text-muted-foreground">Matched roles</dt>
        <dd className="flex flex-wrap gap-1">
          {decision.matchedRoles.length > 0 ? (
            decision.matchedRoles.map((role) => (
              <Badge key={role} tone="primary">
                {role}
              </Badge>
            ))
          ) : (
            <span className="text-muted-foreground">none</span>
          )}
        </dd>
        <dt className="text-muted-foreground">Scopes that count</dt>
        <dd>{decision.effectiveScopes.length > 0 ? scopeList(decision.effectiveScopes) : <span className="text-muted-foreground">none</span>}</dd>
        {allowed && decision.requiresApproval ? (
          <>
            <dt className="text-muted-foreground">Human approval</dt>
            <dd>Required before each call runs</dd>
          </>
        ) : null}
        <dt className="text-muted-foreground">Evaluated against</dt>
        <dd>{decision.configVersion === null ? "draft (unpublished)" : `version ${decision.configVersion}`}</dd>
      </dl>
    </section>
  );
}

function scopeList(scopes: string[]) {
  return scopes.map((scope, index) => (
    <span key={scope}>
      {index > 0 ? ", " : null}
      <code className="text-xs">{scope}</code>
    </span>
  ));
}
