import type { Metadata } from "next";
import { Suspense } from "react";
import { InstancesView } from "@/components/instances/instances-view";

export const metadata: Metadata = { title: "Instances" };

// useSearchParams (the page number) needs a Suspense boundary to build statically.
export default function InstancesPage() {
  return (
    <Suspense>
      <InstancesView />
    </Suspense>
  );
}
