import type { Metadata } from "next";
import { NotBuiltYetPage, upcomingTitle } from "@/components/shell/not-built-yet";

export const metadata: Metadata = { title: upcomingTitle("audit") };

export default function Page({ params }: { params: Promise<{ env: string }> }) {
  return <NotBuiltYetPage params={params} section="audit" />;
}
