import Link from "next/link";
import { canMutate } from "@/lib/auth/admin-roles";
import type { CurrentAdmin } from "@/lib/auth/session";
import type { EnvironmentSummary } from "@/lib/environments/environments";
import type { GrantListQuery, listGrantsForTool, ToolSummary } from "@/lib/grants/grants";
import type { listAllScopes } from "@/lib/scopes/scopes";
import { GrantRowsTable } from "./grant-rows-table";

/**
 * "Who can call this?" for one tool. The page has checked access, found the
 * tool in this environment and loaded its grants and the environment's scopes.
 */
export function ToolAccessPanel({
  admin,
  environment,
  tool,
  query,
  grants: { rows, total },
  scopes,
}: {
  admin: CurrentAdmin;
  environment: EnvironmentSummary;
  tool: ToolSummary;
  query: GrantListQuery;
  grants: Awaited<ReturnType<typeof listGrantsForTool>>;
  scopes: Awaited<ReturnType<typeof listAllScopes>>;
}) {
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
