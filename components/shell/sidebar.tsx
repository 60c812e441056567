"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { EnvironmentSummary } from "@/lib/environments/environments";
import { cn } from "@/components/ui/cn";
import { EnvironmentSwitcher } from "./environment-switcher";
import { BRAND_ICON as Brand, ENVIRONMENT_NAV, GLOBAL_NAV } from "./nav";

export function Sidebar({
  environments,
  current,
  pendingClients,
  pendingApprovals = 0,
  onNavigate,
}: {
  environments: EnvironmentSummary[];
  current: string;
  pendingClients: number;
  pendingApprovals?: number;
  onNavigate?: () => void;
}) {
  const pathname = usePathname();

  return (
    <nav aria-label="Main" className="flex h-full flex-col gap-6 p-4">
      <Link href={`/${current}`} className="flex items-center gap-2 px-2 text-base font-semibold" onClick={onNavigate}>
        <Brand className="h-5 w-5 text-primary" aria-hidden />
        Warden
      </Link>
      <EnvironmentSwitcher environments={environments} current={current} />
      <ul className="space-y-0.5">
        {ENVIRONMENT_NAV.map((item) => {
          const href = item.segment ? `/${current}/${item.segment}` : `/${current}`;
          const active = item.segment ? pathname.startsWith(href) : pathname === href;
          return (
            <li key={item.label}>
              <NavLink
                href={href}
                active={active}
                icon={item.icon}
                label={item.label}
                count={
                  item.segment === "clients" && pendingClients > 0
                    ? { value: pendingClients, label: `${pendingClients} waiting for review` }
                    : item.segment === "approvals" && pendingApprovals > 0
                      ? { value: pendingApprovals, label: `${pendingApprovals} waiting for a decision` }
                      : undefined
                }
                onNavigate={onNavigate}
              />
            </li>
          );
        })}
      </ul>
      <ul className="mt-auto space-y-0.5 border-t pt-4">
        {GLOBAL_NAV.map((item) => (
          <li key={item.label}>
            <NavLink href={item.href} active={pathname.startsWith(item.match)} icon={item.icon} label={item.label} onNavigate={onNavigate} />
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NavLink({
  href,
  active,
  icon: Icon,
  label,
  count,
  onNavigate,
}: {
  href: string;
  active: boolean;
  icon: React.ComponentType<{ className?: string; "aria-hidden"?: boolean }>;
  label: string;
  count?: { value: number; label: string };
  onNavigate?: () => void;
}) {
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      onClick={onNavigate}
      className={cn(
        "flex items-center gap-2.5 rounded-md px-2 py-1.5 text-sm",
        active ? "bg-primary/10 font-medium text-primary" : "text-muted-foreground hover:bg-muted hover:text-foreground",
      )}
    >
      <Icon className="h-4 w-4" aria-hidden />
      {label}
      {count ? (
        <span className="ml-auto rounded-full bg-warning/25 px-1.5 text-xs font-semibold text-foreground" title={count.label}>
          <span aria-hidden>{count.value}</span>
          <span className="sr-only">, {count.label}</span>
        </span>
      ) : null}
    </Link>
  );
}
