import type { Metadata } from "next";
import { AggregatesView } from "@/components/aggregates/aggregates-view";

export const metadata: Metadata = { title: "Host Aggregates" };

export default function HostAggregatesPage() {
  return <AggregatesView />;
}
