"use client";
// The signed-in user's disclosure menu: who and which project, and Log out.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { ThemeToggle } from "@/components/theme/theme-toggle";
import { useTRPC } from "@/lib/trpc/client";
import { useSession } from "./auth-gate";

export function UserMenu() {
  const session = useSession();
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);

  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        // A full load, not a client navigation: Next's router cache holds server-rendered dashboard
        // pages with this session's data, which back/forward could otherwise show the next user.
        window.location.assign("/login");
      },
    }),
  );

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (root.current && e.target instanceof Node && !root.current.contains(e.target)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-zinc-800"
      >
        <span aria-hidden="true" className="flex size-7 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white uppercase">
          {session.user.username.slice(0, 1)}
        </span>
        {/* Narrow screens show just the avatar; the name stays for screen readers. */}
        <span className="sr-only text-left leading-tight sm:not-sr-only">
          <span className="block font-medium">{session.user.username}</span>
          <span className="block text-xs text-zinc-600 dark:text-zinc-400">Project: {session.project.name}</span>
        </span>
      </button>
      {open && (
        <div
          id={panelId}
          className="absolute right-0 z-40 mt-2 w-56 rounded-lg border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
        >
          <dl className="px-2 py-1 text-xs text-zinc-600 dark:text-zinc-400">
            <div className="flex justify-between gap-2">
              <dt>Project</dt>
              <dd className="font-medium text-zinc-900 dark:text-zinc-100">{session.project.name}</dd>
            </div>
            <div className="mt-1 flex justify-between gap-2">
              <dt>Role</dt>
              <dd className="font-medium text-zinc-900 dark:text-zinc-100">{session.role}</dd>
            </div>
          </dl>
          {/* The header hides its theme switch on narrow screens; it lives here instead. */}
          <div className="mt-2 px-2 sm:hidden">
            <ThemeToggle />
          </div>
          <hr className="my-2 border-zinc-200 dark:border-zinc-700" />
          <button
            type="button"
            onClick={() => logout.mutate()}
            disabled={logout.isPending}
            className="w-full rounded-md px-2 py-1.5 text-left text-sm font-medium text-zinc-800 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-100 dark:hover:bg-zinc-800"
          >
            Log out
          </button>
        </div>
      )}
    </div>
  );
}
