import type { ReactNode } from "react";
import { ShieldCheck } from "lucide-react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-lg font-semibold">
          <ShieldCheck className="h-6 w-6 text-primary" aria-hidden />
          Warden
        </div>
        <div className="rounded-lg border bg-surface p-6 shadow-sm">{children}</div>
      </div>
    </main>
  );
}
