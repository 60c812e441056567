"use client";

import { Filter, X } from "lucide-react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useId, useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { handleSubmit } from "@/components/ui/submit";

const TEXT_FILTERS = [
  { name: "actor", label: "User", placeholder: "e.g. alice@example.com" },
  { name: "client", label: "Client", placeholder: "e.g. https://agent.example/client.json" },
  { name: "server", label: "Server", placeholder: "e.g. sales" },
  { name: "tool", label: "Tool", placeholder: "e.g. refund_payment" },
  { name: "action", label: "Action", placeholder: "e.g. tool.call" },
  { name: "q", label: "Reason contains", placeholder: "e.g. missing scope" },
] as const;

// <input type="datetime-local"> speaks local time without a zone.
const toLocalInput = (iso: string | null) => {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** The trail's filters as a form; applying them rewrites the URL, so a view can be shared as a link. */
export function AuditFilters() {
  const ids = useId();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [pending, startTransition] = useTransition();
  const [range, setRange] = useState(params.get("range") ?? "7d");

  function apply(form: FormData) {
    const next = new URLSearchParams();
    for (const [key, value] of form.entries()) {
      const text = String(value).trim();
      if (!text) continue;
      if (key === "from" || key === "to") {
        if (range === "custom") next.set(key, new Date(text).toISOString());
      } else next.set(key, text);
    }
    const size = params.get("size");
    if (size) next.set("size", size);
    if (params.get("live")) next.set("live", "1");
    startTransition(() => router.replace(`${pathname}?${next.toString()}`, { scroll: false }));
  }

  const field = "flex flex-col gap-1 text-xs font-medium text-muted-foreground";
  return (
    <form onSubmit={handleSubmit(apply)} aria-label="Audit filters" className="space-y-3 rounded-lg border bg-surface p-4">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <label className={field} htmlFor={`${ids}-range`}>
          Time
          <Select id={`${ids}-range`} name="range" value={range} onChange={(event) => setRange(event.target.value)}>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="all">All time</option>
            <option value="custom">Custom range…</option>
          </Select>
        </label>
        {range === "custom" ? (
          <>
            <label className={field} htmlFor={`${ids}-from`}>
              From
              <Input id={`${ids}-from`} name="from" type="datetime-local" defaultValue={toLocalInput(params.get("from"))} />
            </label>
            <label className={field} htmlFor={`${ids}-to`}>
              To
              <Input id={`${ids}-to`} name="to" type="datetime-local" defaultValue={toLocalInput(params.get("to"))} />
            </label>
          </>
        ) : null}
        <label className={field} htmlFor={`${ids}-source`}>
          Source
          <Select id={`${ids}-source`} name="source" defaultValue={params.get("source") ?? ""}>
            <option value="">Admins and MCP servers</option>
            <option value="mcp">MCP servers (tool calls)</option>
            <option value="admin">Admins (dashboard changes)</option>
          </Select>
        </label>
        <label className={field} htmlFor={`${ids}-decision`}>
          Decision
          <Select id={`${ids}-decision`} name="decision" defaultValue={params.get("decision") ?? ""}>
            <option value="">Any</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
            <option value="error">Error</option>
          </Select>
        </label>
        <label className={field} htmlFor={`${ids}-scope`}>
          Trail
          <Select id={`${ids}-scope`} name="scope" defaultValue={params.get("scope") ?? "environment"}>
            <option value="environment">This environment</option>
            <option value="account">Account (admins and sign-ins)</option>
          </Select>
        </label>
        {TEXT_FILTERS.map((filter) => (
          <label key={filter.name} className={field} htmlFor={`${ids}-${filter.name}`}>
            {filter.label}
            <Input id={`${ids}-${filter.name}`} name={filter.name} defaultValue={params.get(filter.name) ?? ""} placeholder={filter.placeholder} />
          </label>
        ))}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" disabled={pending}>
          <Filter className="h-4 w-4" aria-hidden /> {pending ? "Filtering…" : "Apply filters"}
        </Button>
        <Button
          variant="ghost"
          onClick={() => {
            setRange("7d");
            startTransition(() => router.replace(pathname, { scroll: false }));
          }}
        >
          <X className="h-4 w-4" aria-hidden /> Clear
        </Button>
      </div>
    </form>
  );
}
