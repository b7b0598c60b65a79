import type { Metadata } from "next";
import { ServerGroupsView } from "@/components/server-groups/server-groups-view";

export const metadata: Metadata = { title: "Server Groups" };

export default function ServerGroupsPage() {
  return <ServerGroupsView />;
}
