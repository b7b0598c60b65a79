import type { Metadata } from "next";
import { Suspense } from "react";
import { LogViewer } from "@/components/logs/log-viewer";

export const metadata: Metadata = { title: "Log Viewer" };

export default function LogViewerPage() {
  // The filters are read from the URL, which the App Router provides inside a Suspense boundary.
  return (
    <Suspense>
      <LogViewer />
    </Suspense>
  );
}
