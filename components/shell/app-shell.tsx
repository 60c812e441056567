"use client";

import { Menu as MenuIcon, X } from "lucide-react";
import { usePathname } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import type { EnvironmentSummary } from "@/lib/environments/environments";
import { Button } from "@/components/ui/button";
import { ENVIRONMENT_COOKIE } from "./nav";
import { Sidebar } from "./sidebar";
import { UserMenu } from "./user-menu";

/** Sidebar beside the page from laptop width up; below that, a drawer behind a menu button. */
export function AppShell({
  environments,
  fallbackEnvironment,
  pendingClients,
  pendingApprovals = {},
  admin,
  children,
}: {
  environments: EnvironmentSummary[];
  fallbackEnvironment: string;
  /** Clients waiting for review, per environment key: the sidebar shows the count. */
  pendingClients: Record<string, number>;
  /** Approval requests waiting for a decision, per environment key. */
  pendingApprovals?: Record<string, number>;
  admin: { email: string; name: string | null; role: string; hasPassword: boolean };
  children: ReactNode;
}) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [remembered, setRemembered] = useState(fallbackEnvironment);
  const first = usePathname().split("/").filter(Boolean)[0];
  const inEnvironment = environments.some((environment) => environment.key === first);
  // Pages outside an environment (Settings) keep pointing at the last one visited.
  if (inEnvironment && first && first !== remembered) setRemembered(first);
  const current = inEnvironment ? first! : remembered;
  useEffect(() => {
    if (!inEnvironment || !first) return;
    document.cookie = `${ENVIRONMENT_COOKIE}=${encodeURIComponent(first)}; path=/; max-age=31536000; samesite=lax`;
  }, [first, inEnvironment]);
  return (
    <div className="flex min-h-screen">
      <a href="#main" className="sr-only z-50 rounded bg-surface px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2">
        Skip to content
      </a>
      <aside className="sticky top-0 hidden h-screen w-60 shrink-0 border-r bg-sidebar lg:block">
        <Sidebar environments={environments} current={current} pendingClients={pendingClients[current] ?? 0} pendingApprovals={pendingApprovals[current] ?? 0} />
      </aside>
      {drawerOpen ? (
        <div className="fixed inset-0 z-40 lg:hidden" role="dialog" aria-modal="true" aria-label="Navigation">
          <div className="absolute inset-0 bg-black/40" onClick={() => setDrawerOpen(false)} />
          <aside className="relative h-full w-64 border-r bg-sidebar">
            <Button variant="ghost" size="icon" className="absolute top-3 right-3" aria-label="Close navigation" onClick={() => setDrawerOpen(false)}>
              <X className="h-4 w-4" aria-hidden />
            </Button>
            <Sidebar environments={environments} current={current} pendingClients={pendingClients[current] ?? 0} pendingApprovals={pendingApprovals[current] ?? 0} onNavigate={() => setDrawerOpen(false)} />
          </aside>
        </div>
      ) : null}
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center justify-between border-b bg-background/90 px-4 backdrop-blur lg:px-8">
          <Button variant="ghost" size="icon" className="lg:hidden" aria-label="Open navigation" onClick={() => setDrawerOpen(true)}>
            <MenuIcon className="h-5 w-5" aria-hidden />
          </Button>
          <div className="flex-1" />
          <UserMenu email={admin.email} name={admin.name} role={admin.role} hasPassword={admin.hasPassword} />
        </header>
        <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-4 py-6 lg:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}
