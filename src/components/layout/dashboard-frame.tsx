"use client";

import type { ReactNode } from "react";
import { AuthGate } from "@/components/layout/auth-gate";
import { DashboardShell } from "@/components/layout/dashboard-shell";
import { LiveConnectionProvider } from "@/lib/realtime/live-connection";

/** The client side of every dashboard page: session gate, live channel and the shell. */
export function DashboardFrame({ children }: { children: ReactNode }) {
  return (
    <AuthGate>
      {/* The live channel opens only once a session exists, since its handshake needs the cookie. */}
      <LiveConnectionProvider>
        <DashboardShell>{children}</DashboardShell>
      </LiveConnectionProvider>
    </AuthGate>
  );
}
