import type { ReactNode } from "react";
import { DashboardFrame } from "@/components/layout/dashboard-frame";
import { getServerTrpc, HydrateQueries } from "@/lib/trpc/server";

// Rendered per request with the caller's session, never prerendered at build time: the session
// check is answered on the server, so the shell, and the data a page prefetches, arrive as HTML
// instead of after the scripts load and ask for them.
export const dynamic = "force-dynamic";

export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <HydrateQueries prefetch={(queryClient) => queryClient.prefetchQuery(getServerTrpc().auth.me.queryOptions())}>
      <DashboardFrame>{children}</DashboardFrame>
    </HydrateQueries>
  );
}
