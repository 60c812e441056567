import Link from "next/link";
import { canMutate } from "@/lib/auth/roles";
import type { CurrentAdmin } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import type { EnvironmentSummary } from "@/lib/environments/environments";
import { listGrantsForTool, type GrantListQuery, type ToolSummary } from "@/lib/grants/grants";
import { listAllScopes } from "@/lib/scopes/scopes";
import { GrantRowsTable } from "./grant-rows-table";

/**
 * "Who can call this?" for one tool. A server component, so a tool page can
 * drop it in as is; the caller has already checked access and found the tool
 * in this environment.
 */
export async function ToolAccessPanel({
  admin,
  environment,
  tool,
  query,
}: {
  admin: CurrentAdmin;
  environment: EnvironmentSummary;
  tool: ToolSummary;
  query: GrantListQuery;
}) {
  const db = getDb();
  const [{ rows, total }, scopes] = await Promise.all([listGrantsForTool(db, environment.id, tool.id, query), listAllScopes(db, environment.id)]);
  return (
    <section aria-labelledby="tool-access-heading" className="space-y-3">
      <div>
        <h2 id="tool-access-heading" className="font-medium">
          Who can call this?
        </h2>
        <p className="text-sm text-muted-foreground">
          Roles granted {tool.name}, and the scopes their tokens must carry.{" "}
          <Link href={`/${environment.key}/roles/matrix`} className="font-medium text-primary underline-offset-4 hover:underline">
            Grant it to more roles in the matrix
          </Link>
          .
        </p>
      </div>
      <GrantRowsTable
        envKey={environment.key}
        subject="role"
        rows={rows.map((row) => ({
          id: row.id,
          roleId: row.role.id,
          roleName: row.role.name,
          roleClaim: `${row.role.claimName} = ${row.role.claimValue}`,
          toolId: tool.id,
          toolName: tool.name,
          serverName: tool.serverName,
          risk: tool,
          requiredScopes: row.requiredScopes,
          version: row.version,
          updatedAt: row.updatedAt,
        }))}
        total={total}
        query={query}
        scopes={scopes}
        editable={canMutate(admin.role)}
        emptyState={
          <p className="text-sm text-muted-foreground">
            {query.q ? "No role matches this search." : "No role may call this tool yet: agents are refused it for every user."}
          </p>
        }
      />
    </section>
  );
}
