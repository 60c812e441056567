import Link from "next/link";
import type { HeldBackTool } from "@/lib/config/publish";
import { Alert } from "@/components/ui/alert";
import { countOf } from "@/lib/format/count";

/** Why tools (and the grants on them) are missing from what would be published, with the way to bring them back. */
export function HeldBackTools({ environment, tools }: { environment: string; tools: HeldBackTool[] }) {
  return (
    <Alert tone="warning" title={`${countOf(tools.length, "tool")} held back from publishing`}>
      <p>A tool whose definition changed since it was approved stays out of published config, with its grants, until someone reviews and approves the new definition.</p>
      <ul className="mt-2 space-y-1" aria-label="Held back tools">
        {tools.map((tool) => (
          <li key={tool.id}>
            <code className="text-xs">
              {tool.server}/{tool.name}
            </code>{" "}
            held back: changed since approval{tool.grants ? ` (${countOf(tool.grants, "grant")} with it)` : ""} —{" "}
            <Link href={`/${environment}/servers/${tool.serverId}/tools/${tool.id}`} className="font-medium text-primary hover:underline">
              review and approve
            </Link>
          </li>
        ))}
      </ul>
    </Alert>
  );
}
