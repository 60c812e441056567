"use client";

import * as Menu from "@radix-ui/react-dropdown-menu";
import { ChevronDown, KeyRound, LogOut, MonitorSmartphone, Monitor, Moon, Sun } from "lucide-react";
import { signOut } from "next-auth/react";
import { useTheme } from "next-themes";
import { useRef, useState } from "react";
import { ChangePasswordDialog } from "@/components/account/change-password-dialog";
import { SignOutEverywhereDialog } from "@/components/account/sign-out-everywhere-dialog";
import { Badge } from "@/components/ui/badge";

const ITEM = "flex cursor-default items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-muted";

export function UserMenu({ email, name, role, hasPassword }: { email: string; name: string | null; role: string; hasPassword: boolean }) {
  const { theme, setTheme } = useTheme();
  const [dialog, setDialog] = useState<"password" | "everywhere" | null>(null);
  // The menu gives focus back to its trigger as it closes; when it closes to
  // open a dialog, the dialog keeps the focus instead.
  const openingDialog = useRef(false);
  const openDialog = (which: "password" | "everywhere") => {
    openingDialog.current = true;
    setDialog(which);
  };
  return (
    <>
      <Menu.Root>
        <Menu.Trigger
          className="flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted"
          aria-label={`Account menu for ${email}`}
        >
          <span className="flex h-7 w-7 items-center justify-center rounded-full bg-primary/15 text-xs font-semibold text-primary" aria-hidden>
            {(name ?? email).slice(0, 1).toUpperCase()}
          </span>
          <span className="hidden max-w-48 truncate sm:inline">{name ?? email}</span>
          <ChevronDown className="h-4 w-4 text-muted-foreground" aria-hidden />
        </Menu.Trigger>
        <Menu.Portal>
          <Menu.Content
            align="end"
            sideOffset={6}
            className="z-50 min-w-60 rounded-md border bg-surface p-1 shadow-lg"
            onCloseAutoFocus={(event) => {
              if (openingDialog.current) event.preventDefault();
              openingDialog.current = false;
            }}
          >
            <div className="px-2 py-2">
              <p className="truncate text-sm font-medium">{name ?? email}</p>
              <p className="truncate text-xs text-muted-foreground">{email}</p>
              <Badge tone="primary" className="mt-1.5">
                {role}
              </Badge>
            </div>
            <Menu.Separator className="my-1 h-px bg-border" />
            <Menu.Label className="px-2 py-1 text-xs text-muted-foreground">Theme</Menu.Label>
            <Menu.RadioGroup value={theme ?? "system"} onValueChange={setTheme}>
              <Menu.RadioItem value="light" className={ITEM}>
                <Sun className="h-4 w-4" aria-hidden /> Light
              </Menu.RadioItem>
              <Menu.RadioItem value="dark" className={ITEM}>
                <Moon className="h-4 w-4" aria-hidden /> Dark
              </Menu.RadioItem>
              <Menu.RadioItem value="system" className={ITEM}>
                <Monitor className="h-4 w-4" aria-hidden /> System
              </Menu.RadioItem>
            </Menu.RadioGroup>
            <Menu.Separator className="my-1 h-px bg-border" />
            {hasPassword ? (
              <Menu.Item className={ITEM} onSelect={() => openDialog("password")}>
                <KeyRound className="h-4 w-4" aria-hidden /> Change password…
              </Menu.Item>
            ) : null}
            <Menu.Item className={ITEM} onSelect={() => void signOut({ callbackUrl: "/login" })}>
              <LogOut className="h-4 w-4" aria-hidden /> Sign out
            </Menu.Item>
            <Menu.Item className={ITEM} onSelect={() => openDialog("everywhere")}>
              <MonitorSmartphone className="h-4 w-4" aria-hidden /> Sign out everywhere…
            </Menu.Item>
          </Menu.Content>
        </Menu.Portal>
      </Menu.Root>
      <ChangePasswordDialog open={dialog === "password"} onOpenChange={(open) => setDialog(open ? "password" : null)} />
      <SignOutEverywhereDialog open={dialog === "everywhere"} onOpenChange={(open) => setDialog(open ? "everywhere" : null)} />
    </>
  );
}
