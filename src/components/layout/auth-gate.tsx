"use client";
// Client-side gate for the dashboard: asks the API who is logged in and sends anyone else to the
// login page. The API enforces every permission itself; this only decides what to render.
import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { createContext, useContext, useEffect, type ReactNode } from "react";
import { useTRPC } from "@/lib/trpc/client";
import type { AuthMe } from "@/lib/trpc/types";

const SessionContext = createContext<AuthMe | null>(null);

/** The logged-in user, project and role; only usable below <AuthGate>. */
export function useSession(): AuthMe {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useSession must be used inside <AuthGate>");
  return me;
}

export function AuthGate({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: Infinity }));

  const signedOut = me.isSuccess && me.data === null;
  useEffect(() => {
    if (signedOut) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [signedOut, router, pathname]);

  if (me.isError) {
    return (
      <div role="alert" className="p-8 text-sm text-red-700 dark:text-red-400">
        Could not reach the Stratus API. Check that the controller is running, then reload the page.
      </div>
    );
  }
  if (!me.data) {
    return (
      <div className="flex min-h-screen items-center justify-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
        Loading…
      </div>
    );
  }
  return <SessionContext.Provider value={me.data}>{children}</SessionContext.Provider>;
}
