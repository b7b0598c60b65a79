// tRPC for server components: queries run in this process through the router server.ts publishes,
// with the caller's own session cookie, so a server-rendered page holds exactly what the same call
// from the browser would return. <HydrateQueries> hands the results to the browser's QueryClient,
// so the client components render them at once and fetch nothing again.
import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { inProcessApi } from "@/server/api/in-process";
import type { AppRouter } from "@/server/api/root";

/** One context per request (React's cache() is scoped to one server render): one session lookup. */
const getContext = cache(async () => inProcessApi().createContext((await headers()).get("cookie") ?? undefined));

/** The proxy wants a QueryClient only for streamed (async-iterable) results, which no query returns. */
const getProxyQueryClient = cache(() => new QueryClient());

/** The same queryOptions as the browser's useTRPC(), answered in process with this request's session. */
export const getServerTrpc = cache(() =>
  createTRPCOptionsProxy<AppRouter>({ router: inProcessApi().router, ctx: getContext, queryClient: getProxyQueryClient }),
);

/**
 * Runs `prefetch` on a QueryClient of its own and sends what it fetched, with the children, to the
 * browser's cache: each boundary carries only its own queries. A failed query is left out: the
 * browser asks again and shows the error as it always did. (Flight carries Dates as Dates, so no
 * transformer is needed on this path.)
 */
export async function HydrateQueries({ prefetch, children }: { prefetch: (queryClient: QueryClient) => Promise<unknown>; children: ReactNode }) {
  const queryClient = new QueryClient();
  await prefetch(queryClient);
  return <HydrationBoundary state={dehydrate(queryClient)}>{children}</HydrationBoundary>;
}
