import { Construction } from "lucide-react";
import { requireAdmin } from "@/lib/auth/session";
import { environmentFromParams } from "@/lib/environments/current";
import { PageHeader } from "@/components/ui/page-header";

/** What each section will do, said plainly, so nobody mistakes an empty page for an empty configuration. */
const UPCOMING = {
  audit: {
    title: "Audit",
    items: [
      "Browse every admin change and every tool call decision",
      "Filter by user, agent, server, tool and decision",
      "Export to CSV and verify the tamper-evident chain",
    ],
  },
} as const;

export type UpcomingSection = keyof typeof UPCOMING;

export function upcomingTitle(section: UpcomingSection): string {
  return UPCOMING[section].title;
}

export async function NotBuiltYetPage({ params, section }: { params: Promise<{ env: string }>; section: UpcomingSection }) {
  await requireAdmin("VIEWER");
  const environment = await environmentFromParams(params);
  const { title, items } = UPCOMING[section];
  return (
    <>
      <PageHeader title={title} description={`${environment.name} environment`} />
      <div className="rounded-lg border border-dashed p-8">
        <div className="flex items-center gap-2 text-sm font-medium">
          <Construction className="h-4 w-4 text-warning" aria-hidden />
          {title} is not built yet
        </div>
        <p className="mt-2 text-sm text-muted-foreground">Nothing on this page is configured or enforced today. It will let you:</p>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-muted-foreground">
          {items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      </div>
    </>
  );
}
