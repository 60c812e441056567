"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { ClientListQuery, ClientRow } from "@/lib/clients/clients";
import { CLIENT_STATUSES } from "@/lib/clients/status";
import { DataTable, type DataTableColumn } from "@/components/data-table/data-table";
import { Badge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

export const STATUS_TONE = { PENDING: "warning", APPROVED: "success", REJECTED: "danger", SUSPENDED: "neutral" } as const;

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
            <span className="font-medium">{row.original.hostname}</span>
            {row.original.name ? <span className="ml-2 text-muted-foreground">“{row.original.name}”</span> : null}
            <span className="block font-mono text-xs break-all text-muted-foreground">{row.original.clientId}</span>
          </Link>
        ),
      },
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
  const filtered = Boolean(query.q || query.status);
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
      searchPlaceholder="Search by client_id URL"
      filters={[{ id: "status", label: "Status", options: CLIENT_STATUSES.map((status) => ({ value: status, label: status })) }]}
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
              by its client_id URL.
            </>
          ) : (
            "No clients yet."
          )}
        </p>
      }
    />
  );
}
