"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { ClientListQuery, ClientRow } from "@/lib/clients/clients";
import { CLIENT_KINDS, CLIENT_STATUSES, type ClientKind } from "@/lib/clients/status";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

export const STATUS_TONE = { PENDING: "warning", APPROVED: "success", REJECTED: "danger", SUSPENDED: "neutral" } as const;
export const KIND_LABEL: Record<ClientKind, string> = { CIMD: "CIMD", PRE_REGISTERED: "Pre-registered" };

export function KindBadge({ kind }: { kind: ClientKind }) {
  return (
    <Badge tone={kind === "CIMD" ? "neutral" : "primary"} className="whitespace-nowrap">
      {KIND_LABEL[kind]}
    </Badge>
  );
}

export function ClientsTable({ environment, rows, total, query, canRegister }: { environment: string; rows: ClientRow[]; total: number; query: ClientListQuery; canRegister: boolean }) {
  const columns = useMemo<DataTableColumn<ClientRow>[]>(
    () => [
      {
        id: "clientId",
        accessorKey: "clientId",
        header: "Client",
        enableHiding: false,
        cell: ({ row }) => (
          <Link href={`/${environment}/clients/${row.original.id}`} className="block hover:underline">
            {row.original.kind === "PRE_REGISTERED" ? (
              <>
                <span className="font-medium">{row.original.name}</span>
                {row.original.owner ? <span className="ml-2 text-muted-foreground">{row.original.owner}</span> : null}
              </>
            ) : (
              <>
                <span className="font-medium">{row.original.hostname}</span>
                {row.original.name ? <span className="ml-2 text-muted-foreground">“{row.original.name}”</span> : null}
              </>
            )}
            <span className="block font-mono text-xs break-all text-muted-foreground">{row.original.clientId}</span>
          </Link>
        ),
      },
      { id: "kind", header: "Kind", enableSorting: false, cell: ({ row }) => <KindBadge kind={row.original.kind} /> },
      {
        id: "status",
        accessorKey: "status",
        header: "Status",
        cell: ({ row }) => <Badge tone={STATUS_TONE[row.original.status]}>{row.original.status}</Badge>,
      },
      {
        id: "warnings",
        header: "Warnings",
        enableSorting: false,
        cell: ({ row }) => (row.original.warnings ? <Badge tone="warning">{row.original.warnings}</Badge> : <span className="text-muted-foreground">none</span>),
      },
      { id: "fetchedAt", accessorKey: "fetchedAt", header: "Fetched", cell: ({ row }) => <RelativeTime iso={row.original.fetchedAt} /> },
      { id: "reviewedAt", accessorKey: "reviewedAt", header: "Reviewed", cell: ({ row }) => <RelativeTime iso={row.original.reviewedAt} /> },
      { id: "createdAt", accessorKey: "createdAt", header: "Added", cell: ({ row }) => <RelativeTime iso={row.original.createdAt} /> },
    ],
    [environment],
  );
  const filtered = Boolean(query.q || query.status || query.kind);
  return (
    <DataTable
      label="Clients"
      data={rows}
      columns={columns}
      total={total}
      page={query.page}
      size={query.size}
      sort={query.sort}
      dir={query.dir}
      getRowId={(row) => row.id}
      searchPlaceholder="Search by client_id, name or owner"
      filters={[
        { id: "kind", label: "Kind", options: CLIENT_KINDS.map((kind) => ({ value: kind, label: KIND_LABEL[kind] })) },
        { id: "status", label: "Status", options: CLIENT_STATUSES.map((status) => ({ value: status, label: status })) },
      ]}
      emptyState={
        <p className="text-sm text-muted-foreground">
          {filtered ? (
            "No client matches these filters."
          ) : canRegister ? (
            <>
              No clients yet.{" "}
              <Link href={`/${environment}/clients/new`} className="text-primary hover:underline">
                Register the first one
              </Link>{" "}
              by its client_id URL or the id your IdP issued.
            </>
          ) : (
            "No clients yet."
          )}
        </p>
      }
    />
  );
}
