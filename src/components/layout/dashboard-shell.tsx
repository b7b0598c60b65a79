"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { ThemeToggle } from "@/components/theme/theme-toggle";
import { LiveBadge } from "./live-badge";
import { CompactNav, SidebarNav } from "./sidebar-nav";
import { UserMenu } from "./user-menu";

/** The frame every dashboard page sits in: sidebar navigation, a top bar, and the page. */
export function DashboardShell({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow dark:focus:bg-zinc-900"
      >
        Skip to content
      </a>
      <aside className="hidden w-56 shrink-0 border-r border-zinc-200 bg-white px-3 py-5 md:block dark:border-zinc-800 dark:bg-zinc-900">
        <Link href="/instances" className="mb-8 flex items-center gap-2 px-3 text-lg font-semibold tracking-tight">
          <span aria-hidden="true" className="text-indigo-600 dark:text-indigo-400">
            ◆
          </span>
          Stratus
        </Link>
        <SidebarNav />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex min-h-14 flex-wrap items-center justify-between gap-x-4 gap-y-2 border-b py-2 border-zinc-200 bg-white/80 px-4 backdrop-blur md:px-6 dark:border-zinc-800 dark:bg-zinc-900/80">
          <div className="flex items-center gap-4">
            <div className="md:hidden">
              <CompactNav />
            </div>
            <LiveBadge />
          </div>
          <div className="flex items-center gap-3">
            <div className="hidden sm:block">
              <ThemeToggle />
            </div>
            <UserMenu />
          </div>
        </header>
        <main id="main" className="flex-1 px-4 py-6 md:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}
