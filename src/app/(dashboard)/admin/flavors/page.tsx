import type { Metadata } from "next";
import { FlavorsView } from "@/components/flavors/flavors-view";

export const metadata: Metadata = { title: "Flavors · Admin" };

export default function AdminFlavorsPage() {
  return <FlavorsView />;
}
