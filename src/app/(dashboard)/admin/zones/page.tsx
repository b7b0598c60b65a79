import type { Metadata } from "next";
import { ZonesView } from "@/components/aggregates/zones-view";

export const metadata: Metadata = { title: "Availability Zones" };

export default function AvailabilityZonesPage() {
  return <ZonesView />;
}
