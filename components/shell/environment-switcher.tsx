"use client";

import { usePathname, useRouter } from "next/navigation";
import type { EnvironmentSummary } from "@/lib/environments/environments";

/**
 * Switching keeps the admin on the same section of the other environment.
 * A native select: arrow keys, type-ahead and screen readers work as expected.
 */
export function EnvironmentSwitcher({ environments, current }: { environments: EnvironmentSummary[]; current: string }) {
  const router = useRouter();
  const pathname = usePathname();
  return (
    <div>
      <label htmlFor="environment-switcher" className="mb-1 block text-xs font-medium text-muted-foreground">
        Environment
      </label>
      <select
        id="environment-switcher"
        value={current}
        onChange={(event) => {
          const next = event.target.value;
          const segments = pathname.split("/").filter(Boolean);
          const onEnvironmentPage = environments.some((environment) => environment.key === segments[0]);
          router.push(onEnvironmentPage ? `/${[next, ...segments.slice(1)].join("/")}` : `/${next}`);
        }}
        className="h-9 w-full rounded-md border bg-surface px-2 text-sm font-medium"
      >
        {environments.map((environment) => (
          <option key={environment.key} value={environment.key}>
            {environment.name} ({environment.key})
          </option>
        ))}
      </select>
    </div>
  );
}
