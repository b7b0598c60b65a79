"use client";
// The instance's moves (Nova's GET /servers/{id}/migrations, which Horizon never shows). A live
// migration in progress gets a panel of its own: memory and disk copied and left, the transfer
// rate and the time left as libvirt reports them about once a second, with Abort and Force
// complete for admins. The figures arrive as `migration:changed` nudges on the instance's room.
import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { ProgressBar } from "@/components/ui/progress-bar";
import { StatusChip, type Tone } from "@/components/ui/status-chip";
import { useToast } from "@/components/ui/toaster";
import { checkAction } from "@/lib/instance-actions";
import type { InstanceView } from "@/lib/instance-view";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { RouterOutputs } from "@/lib/trpc/types";
import { formatBytes } from "../format";
import { formatDateTime } from "./format-time";

type Migration = RouterOutputs["server"]["migrations"][number];

const LIVE_ACTIVE = new Set(["accepted", "queued", "preparing", "running", "cancelling"]);

function statusTone(status: string): Tone {
  if (status === "completed" || status === "confirmed" || status === "finished") return "success";
  if (status === "error" || status === "failed") return "danger";
  if (status === "cancelled" || status === "reverted") return "neutral";
  return "warning";
}

function percentDone(done: number | null, total: number | null): number {
  if (!total) return 0;
  return Math.min(100, Math.max(0, ((done ?? 0) * 100) / total));
}

function Figure({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="text-sm text-zinc-900 tabular-nums dark:text-zinc-100">{children}</dd>
    </div>
  );
}

function LiveProgress({ m, instance, isAdmin }: { m: Migration; instance: InstanceView; isAdmin: boolean }) {
  const client = useTRPCClient();
  const toast = useToast();
  const [busy, setBusy] = useState<"abort" | "force" | null>(null);
  const memoryLeft = m.memoryTotal ? (m.memoryRemaining ?? 0) : null;
  const diskLeft = m.diskTotal ? (m.diskRemaining ?? 0) : null;
  const canAbort = checkAction("live_migrate_abort", instance, { isAdmin }).allowed;
  const canForce = checkAction("live_migrate_force_complete", instance, { isAdmin }).allowed && m.status === "running" && !m.forced;

  async function act(kind: "abort" | "force") {
    setBusy(kind);
    try {
      if (kind === "abort") await client.server.liveMigrateAbort.mutate({ id: instance.uuid });
      else await client.server.liveMigrateForceComplete.mutate({ id: instance.uuid });
      toast(kind === "abort" ? `Aborting the live migration of "${instance.name}"` : `Forcing the live migration of "${instance.name}" to complete`);
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="space-y-3 rounded-lg border border-amber-200 bg-amber-50/50 p-4 dark:border-amber-900 dark:bg-amber-950/20" data-testid="live-migration-progress" data-status={m.status}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">
          Live migration {m.status === "running" ? "running" : m.status}
          {m.destCompute ? ` to ${m.destCompute}` : ""}
          {m.forced ? " — forced: the guest is paused until the copy completes" : ""}
        </p>
        {isAdmin && (
          <div className="flex gap-2">
            <Button size="sm" disabled={!canForce || busy !== null} onClick={() => void act("force")}>
              {busy === "force" ? "Forcing…" : "Force complete"}
            </Button>
            <Button size="sm" variant="danger" disabled={!canAbort || busy !== null || m.status === "cancelling"} onClick={() => void act("abort")}>
              {busy === "abort" ? "Aborting…" : "Abort"}
            </Button>
          </div>
        )}
      </div>
      <div className="space-y-1">
        <p className="text-xs text-zinc-600 dark:text-zinc-400">Memory</p>
        <ProgressBar value={percentDone(m.memoryTotal !== null && memoryLeft !== null ? m.memoryTotal - memoryLeft : null, m.memoryTotal)} label="Memory copied" />
      </div>
      {(m.diskTotal ?? 0) > 0 && (
        <div className="space-y-1">
          <p className="text-xs text-zinc-600 dark:text-zinc-400">Disk</p>
          <ProgressBar value={percentDone(m.diskProcessed, m.diskTotal)} label="Disk copied" />
        </div>
      )}
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
        <Figure label="Memory processed">{m.memoryProcessed === null ? "–" : formatBytes(m.memoryProcessed)}</Figure>
        <Figure label="Memory remaining">{memoryLeft === null ? "–" : `${formatBytes(memoryLeft)} of ${formatBytes(m.memoryTotal)}`}</Figure>
        <Figure label="Disk remaining">{diskLeft === null ? "–" : `${formatBytes(diskLeft)} of ${formatBytes(m.diskTotal)}`}</Figure>
        <Figure label="Rate">{m.bytesPerSecond ? `${formatBytes(m.bytesPerSecond)}/s` : "–"}</Figure>
        <Figure label="Time left">{m.etaSeconds === null ? "–" : `about ${m.etaSeconds} s`}</Figure>
      </dl>
    </div>
  );
}

/** A live migration in progress, with its live figures; nothing otherwise. */
export function LiveMigrationPanel({ instance, isAdmin }: { instance: InstanceView; isAdmin: boolean }) {
  const trpc = useTRPC();
  const migrations = useQuery(trpc.server.migrations.queryOptions({ id: instance.uuid }));
  const live = (migrations.data ?? []).find((m) => m.type === "live-migration" && LIVE_ACTIVE.has(m.status));
  return live ? <LiveProgress m={live} instance={instance} isAdmin={isAdmin} /> : null;
}

/** Every move of the instance, newest first; nothing when it never moved. */
export function MigrationHistory({ instance, isAdmin }: { instance: InstanceView; isAdmin: boolean }) {
  const trpc = useTRPC();
  const migrations = useQuery(trpc.server.migrations.queryOptions({ id: instance.uuid }));
  const rows = migrations.data ?? [];
  if (rows.length === 0) return null;
  return (
    <section aria-labelledby="instance-migrations" className="space-y-3 rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h2 id="instance-migrations" className="text-base font-semibold">
        Migrations
      </h2>
      <div className="overflow-x-auto">
        <table className="min-w-full text-sm">
          <thead className="text-left text-xs text-zinc-600 dark:text-zinc-400">
            <tr>
              <th scope="col" className="py-2 pr-4 font-medium">Type</th>
              <th scope="col" className="py-2 pr-4 font-medium">Status</th>
              {isAdmin && <th scope="col" className="py-2 pr-4 font-medium">Source → destination</th>}
              <th scope="col" className="py-2 pr-4 font-medium">Flavor</th>
              <th scope="col" className="py-2 pr-4 font-medium">Moved</th>
              <th scope="col" className="py-2 pr-4 font-medium">Started</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {rows.map((m) => (
              <tr key={m.id} data-testid="migration-row" data-status={m.status}>
                <td className="py-2 pr-4">{m.type}</td>
                <td className="py-2 pr-4">
                  <StatusChip tone={statusTone(m.status)}>{m.status}</StatusChip>
                </td>
                {isAdmin && (
                  <td className="py-2 pr-4">
                    {m.sourceCompute ?? "–"} → {m.destCompute ?? "–"}
                  </td>
                )}
                <td className="py-2 pr-4">
                  {m.oldFlavor?.name === m.newFlavor?.name ? (m.newFlavor?.name ?? "–") : `${m.oldFlavor?.name ?? "?"} → ${m.newFlavor?.name ?? "?"}`}
                </td>
                <td className="py-2 pr-4 tabular-nums">
                  {[m.memoryProcessed ? `memory ${formatBytes(m.memoryProcessed)}` : null, m.diskProcessed ? `disk ${formatBytes(m.diskProcessed)}` : null, m.downtimeMs !== null ? `downtime ${m.downtimeMs} ms` : null]
                    .filter(Boolean)
                    .join(", ") || "–"}
                  {m.forced ? " (forced)" : ""}
                </td>
                <td className="py-2 pr-4">{formatDateTime(m.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
