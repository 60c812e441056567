import Link from "next/link";
import type { AuditRow } from "@/lib/audit/query";
import type { DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { DecisionBadge } from "./decision-badge";

/** `detailHref` links an event's time to its detail, keeping the filters and page in the URL. */
export function getAuditColumns({ detailHref }: { detailHref: (id: string) => string }): DataTableColumn<AuditRow>[] {
  return [
    {
      id: "ts",
      header: "Time",
      enableSorting: false,
      enableHiding: false,
      cell: ({ row }) => (
        <Link href={detailHref(row.original.id)} scroll={false} className="block whitespace-nowrap hover:underline">
          <span className="font-medium">
            <RelativeTime iso={row.original.ts} />
          </span>
          <span className="block font-mono text-xs text-muted-foreground">{row.original.ts.replace("T", " ").slice(0, 19)} UTC</span>
        </Link>
      ),
    },
    { id: "source", header: "Source", enableSorting: false, cell: ({ row }) => <Badge tone={row.original.source === "mcp" ? "primary" : "neutral"}>{row.original.source}</Badge> },
    {
      id: "actor",
      header: "User",
      enableSorting: false,
      cell: ({ row }) => {
        const who = row.original.actorLabel ?? row.original.actor;
        return (
          <span className="block max-w-[14rem] truncate" title={who}>
            {who}
          </span>
        );
      },
    },
    {
      id: "client",
      header: "Client",
      enableSorting: false,
      cell: ({ row }) => (
        <span className="block max-w-[14rem] truncate text-xs" title={row.original.clientId ?? undefined}>
          {row.original.clientId ? row.original.clientId.replace(/^https:\/\//, "") : "—"}
        </span>
      ),
    },
    {
      id: "tool",
      header: "Server / tool",
      enableSorting: false,
      cell: ({ row }) => (row.original.tool || row.original.server ? <code className="text-xs">{[row.original.server, row.original.tool].filter(Boolean).join("/")}</code> : "—"),
    },
    { id: "action", header: "Action", enableSorting: false, cell: ({ row }) => <code className="text-xs">{row.original.action}</code> },
    { id: "decision", header: "Decision", enableSorting: false, cell: ({ row }) => <DecisionBadge decision={row.original.decision} /> },
    {
      id: "reason",
      header: "Reason",
      enableSorting: false,
      cell: ({ row }) => {
        // "anywhere" lets a long unbroken reason wrap, so it cannot widen the table past its last columns.
        const reason = row.original.reason ?? row.original.target ?? "";
        return (
          <span className="line-clamp-2 max-w-md [overflow-wrap:anywhere]" title={reason}>
            {reason}
          </span>
        );
      },
    },
    { id: "configVersion", header: "Config", enableSorting: false, cell: ({ row }) => (row.original.configVersion ? `v${row.original.configVersion}` : "—") },
  ];
}
