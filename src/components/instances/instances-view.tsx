"use client";
// The Instances page body: reads the page number from the URL, lists that page, and hosts the
// Launch and Delete dialogs. Rows change live through the cache patches in src/lib/realtime.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import type { InstanceView } from "@/lib/instance-view";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import { canDelete, DeleteInstancesDialog, type DeleteTarget } from "./delete-instances-dialog";
import { InstancesTable } from "./instances-table";
import { LaunchInstanceDialog } from "./launch-instance-dialog";

export const INSTANCES_PAGE_SIZE = 50;

function pageFromParam(value: string | null): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function InstancesView() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const pathname = usePathname();
  const page = pageFromParam(params.get("page"));

  const list = useQuery({
    ...trpc.server.list.queryOptions({ page, pageSize: INSTANCES_PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  const [launching, setLaunching] = useState(false);
  const [deleting, setDeleting] = useState<DeleteTarget[]>([]);
  const [selection, setSelection] = useState<Set<string>>(() => new Set());

  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  // Rows that left the page (deleted, or moved by paging) drop out of the selection.
  const selected = useMemo(() => new Set(items.filter((i) => selection.has(i.uuid)).map((i) => i.uuid)), [items, selection]);
  const selectedRows = items.filter((i) => selected.has(i.uuid));
  const bulkDeletable = selectedRows.filter(canDelete);

  const toTarget = (i: InstanceView): DeleteTarget => ({ uuid: i.uuid, name: i.name });
  const hrefFor = (p: number) => (p === 1 ? pathname : `${pathname}?page=${p}`);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Instances"
        description="Virtual machines in this project. Changes appear as they happen."
        actions={
          <>
            <Button variant="secondary" disabled={bulkDeletable.length === 0} onClick={() => setDeleting(bulkDeletable.map(toTarget))}>
              Delete Instances{bulkDeletable.length > 0 ? ` (${bulkDeletable.length})` : ""}
            </Button>
            <Button variant="primary" onClick={() => setLaunching(true)}>
              Launch Instance
            </Button>
          </>
        }
      />

      {list.isError && <ErrorAlert>Unable to retrieve instances: {errorMessage(list.error)}</ErrorAlert>}

      <section aria-label="Instance list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        {list.isPending ? (
          <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading instances…
          </p>
        ) : items.length === 0 && !list.isError && page > 1 ? (
          <EmptyState
            title="No instances on this page"
            action={
              <Link href={hrefFor(1)} className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                Go to the first page
              </Link>
            }
          >
            The list is shorter than this page number.
          </EmptyState>
        ) : items.length === 0 && !list.isError ? (
          <EmptyState
            title="No instances yet"
            action={
              <Button variant="primary" onClick={() => setLaunching(true)}>
                Launch your first instance
              </Button>
            }
          >
            Instances are virtual machines running on the cloud&apos;s compute hosts. Launch one from a flavor and an image.
          </EmptyState>
        ) : (
          <InstancesTable items={items} selected={selected} onSelectionChange={setSelection} onDelete={(i) => setDeleting([toTarget(i)])} />
        )}
      </section>

      {list.data && list.data.total > 0 && (
        <Pagination page={page} pageSize={INSTANCES_PAGE_SIZE} total={list.data.total} hrefFor={hrefFor} itemLabel="instances" />
      )}

      <LaunchInstanceDialog open={launching} onClose={() => setLaunching(false)} />
      <DeleteInstancesDialog
        targets={deleting}
        onClose={() => setDeleting([])}
        onDeleted={(uuids) => setSelection((s) => new Set([...s].filter((u) => !uuids.includes(u))))}
      />
    </div>
  );
}
