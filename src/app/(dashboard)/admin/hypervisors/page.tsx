import type { Metadata } from "next";
import { HypervisorsView } from "@/components/hypervisors/hypervisors-view";

export const metadata: Metadata = { title: "Hypervisors" };

export default function HypervisorsPage() {
  return <HypervisorsView />;
}
