import type { ReactNode } from "react";
import { DashboardFrame } from "@/components/layout/dashboard-frame";
import { getQueryClient, getServerTrpc, HydrateClient } from "@/lib/trpc/server";

// Rendered per request with the caller's session, never prerendered at build time: the session
// check is answered on the server, so the shell, and the data a page prefetches, arrive as HTML
// instead of after the scripts load and ask for them.
export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  await getQueryClient().prefetchQuery(getServerTrpc().auth.me.queryOptions());
  return (
    <HydrateClient>
      <DashboardFrame>{children}</DashboardFrame>
    </HydrateClient>
  );
}
