// tRPC for server components: queries run in this process through the router server.ts publishes,
// with the caller's own session cookie, so a server-rendered page holds exactly what the same call
// from the browser would return. What a page prefetched travels to the browser's QueryClient in
// <HydrateClient>, so the client components render those rows at once and fetch nothing again.
import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { inProcessApi } from "@/server/api/in-process";
import type { AppRouter } from "@/server/api/root";

/** One QueryClient per request (React's cache() is scoped to one server render). */
export const getQueryClient = cache(() => new QueryClient());

/** One context per request: the session is resolved once for the layout and the page. */
const getContext = cache(async () => inProcessApi().createContext((await headers()).get("cookie") ?? undefined));

export const getServerTrpc = cache(() =>
  createTRPCOptionsProxy<AppRouter>({ router: inProcessApi().router, ctx: getContext, queryClient: getQueryClient }),
);

/**
 * Sends this request's successful queries to the browser's cache. A failed one is left out: the
 * browser asks again and shows the error as it always did. (Flight carries Dates as Dates, so no
 * transformer is needed on this path.)
 */
export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}
