"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/components/ui/cn";

/** Roles, scopes and the grants matrix are one section; each tab is its own URL so it can be linked and reloaded. */
export function AccessTabs({ envKey }: { envKey: string }) {
  const pathname = usePathname();
  const tabs = [
    { href: `/${envKey}/roles`, label: "Roles" },
    { href: `/${envKey}/roles/scopes`, label: "Scopes" },
    { href: `/${envKey}/roles/matrix`, label: "Grants matrix" },
  ];
  return (
    <nav aria-label="Roles and scopes sections" className="mb-5 flex gap-1 border-b">
      {tabs.map((tab) => {
        const current = pathname === tab.href;
        return (
          <Link
            key={tab.href}
            href={tab.href}
            aria-current={current ? "page" : undefined}
            className={cn(
              "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
              current ? "border-primary text-foreground" : "border-transparent text-muted-foreground hover:text-foreground",
            )}
          >
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}
