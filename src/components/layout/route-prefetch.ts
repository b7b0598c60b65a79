"use client";
// Starts the current page's main query together with the session check, so both go out in one
// batched request instead of one after the other (the page itself only mounts once the session is
// known). The page's own query then finds its data on the way or already there. Only the route a
// visit starts on: later navigations mount their page at once anyway.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { instancesListInput } from "@/components/instances/instances-query";
import { useTRPC } from "@/lib/trpc/client";

export function useRoutePrefetch(): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    // Read once, in the browser: the URL the visit started on.
    const { pathname, search } = window.location;
    if (pathname === "/instances") {
      void queryClient.prefetchQuery(trpc.server.list.queryOptions(instancesListInput(new URLSearchParams(search))));
    }
  }, [queryClient, trpc]);
}
