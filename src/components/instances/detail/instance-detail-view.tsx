"use client";
// An instance's own page: a header with its status and the same action menu as its table row, and
// tabs — Overview, Action Log, Logs (admins), Console. The tab and the log filters live in the URL
// (?tab=logs&requestId=…), so a request id in the Action Log is a link to its log lines. The
// instance changes live through the cache patches; the page also joins the instance's room, for
// its action log.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useSession } from "@/components/layout/auth-gate";
import { ErrorAlert } from "@/components/ui/alert";
import { StatusChip } from "@/components/ui/status-chip";
import { Tabs, type TabDef } from "@/components/ui/tabs";
import type { InstanceActionName } from "@/lib/instance-actions";
import { useInstanceRoom } from "@/lib/realtime/live-connection";
import { taskStateDisplay } from "@/lib/states";
import { errorMessage, trpcErrorCode, useTRPC } from "@/lib/trpc/client";
import { InstanceActions } from "../instance-actions";
import { InstanceStatus, InstanceTask, isInTransition } from "../instance-status";
import { LockedBadge } from "../instances-table";
import { InstanceActionLog } from "./instance-action-log";
import { InstanceConsole } from "./instance-console";
import { InstanceLogs } from "./instance-logs";
import { LiveMigrationPanel, MigrationHistory } from "./instance-migrations";
import { InstanceOverview } from "./instance-overview";

type TabKey = "overview" | "actions" | "logs" | "console";

function BackLink() {
  return (
    <Link href="/instances" className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300">
      <span aria-hidden="true">← </span>Instances
    </Link>
  );
}

export function InstanceDetailView({ id }: { id: string }) {
  const trpc = useTRPC();
  const { isAdmin } = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  useInstanceRoom(id);

  const instance = useQuery(trpc.server.get.queryOptions({ id }));

  const tabs: TabDef<TabKey>[] = [
    { key: "overview", label: "Overview" },
    { key: "actions", label: "Action Log" },
    ...(isAdmin ? [{ key: "logs" as const, label: "Logs" }] : []),
    { key: "console", label: "Console" },
  ];
  const requested = params.get("tab");
  const tab: TabKey = tabs.find((t) => t.key === requested)?.key ?? "overview";
  const requestId = params.get("requestId") ?? "";
  const level = params.get("level") ?? "";

  function hrefWith(next: Record<string, string>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `${pathname}?${s}` : pathname;
  }
  const go = (next: Record<string, string>) => router.replace(hrefWith(next), { scroll: false });

  function onAccepted(action: InstanceActionName) {
    if (action === "delete") router.push("/instances");
  }

  if (instance.isError) {
    const gone = trpcErrorCode(instance.error) === "NOT_FOUND";
    return (
      <div className="space-y-4">
        <BackLink />
        <ErrorAlert>
          {gone ? `Instance ${id} could not be found. It may have been deleted.` : `Unable to retrieve instance details: ${errorMessage(instance.error)}`}
        </ErrorAlert>
      </div>
    );
  }
  if (instance.isPending) {
    return (
      <div className="space-y-4">
        <BackLink />
        <p className="py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
          Loading instance…
        </p>
      </div>
    );
  }

  const i = instance.data;
  return (
    <div className="space-y-6" data-testid="instance-detail" data-status={i.status} data-task={i.taskState ?? ""} data-locked={i.locked ? "true" : "false"}>
      <div className="space-y-3">
        <BackLink />
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="min-w-0 space-y-2">
            <h1 className="text-2xl font-semibold tracking-tight break-words">{i.name}</h1>
            <div className="flex flex-wrap items-center gap-3 text-sm">
              <InstanceStatus instance={i} />
              {isInTransition(i) && i.taskState ? (
                <div className="w-56">
                  <InstanceTask instance={i} />
                </div>
              ) : (
                <StatusChip tone="neutral">Task: {taskStateDisplay(i.taskState)}</StatusChip>
              )}
              <LockedBadge locked={i.locked} />
            </div>
          </div>
          <InstanceActions instance={i} size="md" onAccepted={onAccepted} />
        </div>
      </div>

      <Tabs label="Instance details" tabs={tabs} selected={tab} onSelect={(k) => go(k === "logs" ? { tab: k, requestId, level } : k === "overview" ? {} : { tab: k })}>
        {tab === "overview" && (
          <div className="space-y-6">
            <LiveMigrationPanel instance={i} isAdmin={isAdmin} />
            <InstanceOverview instance={i} isAdmin={isAdmin} />
            <MigrationHistory instance={i} isAdmin={isAdmin} />
          </div>
        )}
        {tab === "actions" && <InstanceActionLog uuid={i.uuid} logsHref={(req) => hrefWith({ tab: "logs", requestId: req })} />}
        {tab === "logs" && isAdmin && (
          <InstanceLogs uuid={i.uuid} requestId={requestId} level={level} onFilter={(f) => go({ tab: "logs", requestId: f.requestId, level: f.level })} />
        )}
        {tab === "console" && <InstanceConsole uuid={i.uuid} />}
      </Tabs>
    </div>
  );
}
