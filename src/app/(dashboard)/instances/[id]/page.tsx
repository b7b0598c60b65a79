import type { Metadata } from "next";
import { Suspense } from "react";
import { InstanceDetailView } from "@/components/instances/detail/instance-detail-view";

export const metadata: Metadata = { title: "Instance Details" };

// useSearchParams (the tab and log filters) needs a Suspense boundary.
export default async function InstanceDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense>
      <InstanceDetailView id={id} />
    </Suspense>
  );
}
