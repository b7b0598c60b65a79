import type { Metadata } from "next";
import { INSTANCE_LIST_END_ID, instancesListInput } from "@/components/instances/instances-query";
import { InstancesView } from "@/components/instances/instances-view";
import { searchParamsFrom, type SearchParamsRecord } from "@/lib/instance-list-url";
import { getServerTrpc, HydrateQueries } from "@/lib/trpc/server";

export const metadata: Metadata = { title: "Instances" };

// The page of rows the URL asks for is fetched here, as the caller, from the same URL params the
// client reads, so the HTML already holds the rows and the browser's query finds them in its cache.
// No <Suspense> around the view: on this dynamic page nothing in it suspends, and a boundary would
// stream the rows as a hidden block that React reveals only on a later animation frame.
export default async function InstancesPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const input = instancesListInput(searchParamsFrom(await searchParams));
  return (
    <>
      {/*
        Hoisted into <head> by React: the browser paints nothing until the list has been parsed
        (render-blocking "expect"), so the first frame shows the whole page of rows. Without it
        Chromium paints the first few rows, runs the page's scripts, and only then the rest.
      */}
      <link rel="expect" href={`#${INSTANCE_LIST_END_ID}`} blocking="render" />
      <HydrateQueries prefetch={(queryClient) => queryClient.prefetchQuery(getServerTrpc().server.list.queryOptions(input))}>
        <InstancesView />
      </HydrateQueries>
    </>
  );
}
