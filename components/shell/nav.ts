import { Activity, BellRing, Boxes, Cable, FileClock, FlaskConical, KeyRound, LayoutDashboard, Settings, ShieldCheck, Users, Webhook } from "lucide-react";

/** The sections scoped to one environment; their URLs start with /<env>. */
export const ENVIRONMENT_NAV = [
  { segment: "", label: "Overview", icon: LayoutDashboard },
  { segment: "servers", label: "Servers & Tools", icon: Boxes },
  { segment: "downstream", label: "Downstream APIs", icon: Cable },
  { segment: "roles", label: "Roles & Scopes", icon: KeyRound },
  { segment: "access", label: "Test access", icon: FlaskConical },
  { segment: "clients", label: "Clients", icon: Users },
  { segment: "approvals", label: "Approvals", icon: BellRing },
  { segment: "config", label: "Config", icon: FileClock },
  { segment: "audit", label: "Audit", icon: Activity },
  { segment: "notifications", label: "Notifications", icon: Webhook },
] as const;

export const GLOBAL_NAV = [{ href: "/settings/admins", match: "/settings", label: "Settings", icon: Settings }] as const;

export const BRAND_ICON = ShieldCheck;

export const ENVIRONMENT_COOKIE = "warden-env";
