import type { Metadata } from "next";
import { ServicesView } from "@/components/services/services-view";

export const metadata: Metadata = { title: "Compute Services" };

export default function ComputeServicesPage() {
  return <ServicesView />;
}
