import type { ReactNode } from "react";
import { cn } from "./cn";

const TONES = {
  info: "border-primary/30 bg-primary/5",
  success: "border-success/40 bg-success/10",
  warning: "border-warning/50 bg-warning/10",
  error: "border-destructive/40 bg-destructive/10 text-destructive",
} as const;

export function Alert({ tone = "info", title, children, className }: { tone?: keyof typeof TONES; title?: string; children?: ReactNode; className?: string }) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={cn("rounded-md border px-4 py-3 text-sm", TONES[tone], className)}>
      {title ? <p className="font-medium">{title}</p> : null}
      {children ? <div className={title ? "mt-1" : undefined}>{children}</div> : null}
    </div>
  );
}
