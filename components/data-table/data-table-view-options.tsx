"use client";

import * as Menu from "@radix-ui/react-dropdown-menu";
import type { RowData } from "@tanstack/react-table";
import { Columns3 } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { DataTableInstance } from "./data-table-types";

/** The Columns menu: shows or hides each column that may be hidden. */
export function DataTableViewOptions<TData extends RowData>({ table }: { table: DataTableInstance<TData> }) {
  const hidableColumns = table.getAllLeafColumns().filter((column) => column.getCanHide());
  if (!hidableColumns.length) return null;
  return (
    <Menu.Root>
      <Menu.Trigger asChild>
        <Button variant="secondary" size="sm">
          <Columns3 className="h-4 w-4" aria-hidden /> Columns
        </Button>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content align="end" sideOffset={4} className="z-50 min-w-44 rounded-md border bg-surface p-1 shadow-lg">
          {hidableColumns.map((column) => (
            <Menu.CheckboxItem
              key={column.id}
              checked={column.getIsVisible()}
              onCheckedChange={(value) => column.toggleVisibility(Boolean(value))}
              onSelect={(event) => event.preventDefault()}
              className="flex items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-muted"
            >
              <span className="w-4 text-center">{column.getIsVisible() ? "✓" : ""}</span>
              {typeof column.columnDef.header === "string" ? column.columnDef.header : column.id}
            </Menu.CheckboxItem>
          ))}
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
