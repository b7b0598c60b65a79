"use client";

import type { ReactNode } from "react";
import { AuthGate } from "@/components/layout/auth-gate";
import { DashboardShell } from "@/components/layout/dashboard-shell";
import { useRoutePrefetch } from "@/components/layout/route-prefetch";
import { LiveConnectionProvider } from "@/lib/realtime/live-connection";

export default function DashboardLayout({ children }: { children: ReactNode }) {
  useRoutePrefetch();
  return (
    <AuthGate>
      {/* The live channel opens only once a session exists, since its handshake needs the cookie. */}
      <LiveConnectionProvider>
        <DashboardShell>{children}</DashboardShell>
      </LiveConnectionProvider>
    </AuthGate>
  );
}
