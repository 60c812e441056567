"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { ClientListQuery, ClientRow } from "@/lib/clients/clients";
import { CLIENT_KINDS, CLIENT_STATUSES } from "@/lib/clients/status";
import { DataTable } from "@/components/data-table/data-table";
import { KIND_LABEL } from "./client-badges";
import { getClientsColumns } from "./clients-columns";

export function ClientsTable({ environment, rows, total, query, canRegister }: { environment: string; rows: ClientRow[]; total: number; query: ClientListQuery; canRegister: boolean }) {
  const columns = useMemo(() => getClientsColumns({ environment }), [environment]);
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
