"use client";
// The Instances page body: reads page, filters and sort from the URL, lists that page from the
// server (which filters, sorts and paginates), and hosts the
// Launch dialog and the bulk actions on checked rows (Horizon's Delete Instances button and its
// "More Actions" menu: Start, Shut Off, Soft Reboot). Rows change live through the cache patches
// in src/lib/realtime.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { MenuButton, type MenuItem } from "@/components/ui/menu";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { useToast } from "@/components/ui/toaster";
import { checkAction, type InstanceActionName } from "@/lib/instance-actions";
import { activeFilters, type ListFilters, type ListSortKey } from "@/lib/instance-list-query";
import { listUrlQuery, readListUrl } from "@/lib/instance-list-url";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { dialogFor, pluralLabel } from "./action-registry";
import { acceptedMessage, InstanceActionDialog, runBatch, type ActionRequest } from "./instance-action-dialog";
import { InstanceFilterBar } from "./instance-filter-bar";
import { INSTANCE_LIST_END_ID, instancesListInput, INSTANCES_PAGE_SIZE } from "./instances-query";
import { InstancesTable } from "./instances-table";
import { LaunchInstanceDialog } from "./launch-instance-dialog";


/** Horizon's table_actions_menu for checked rows. */
const BULK_MENU: readonly InstanceActionName[] = ["start", "stop", "reboot"];

/** Times read newest first on a first click; names and the rest read A→Z. */
const DESC_FIRST: readonly ListSortKey[] = ["created", "updated"];

export function InstancesView() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const { isAdmin } = useSession();
  const params = useSearchParams();
  const pathname = usePathname();
  const { page, filters, sort, invalid } = readListUrl(params);
  const filtered = activeFilters(filters).length > 0;

  const list = useQuery({
    ...trpc.server.list.queryOptions(instancesListInput(params)),
    placeholderData: keepPreviousData,
  });

  const [launching, setLaunching] = useState(false);
  const [request, setRequest] = useState<ActionRequest | null>(null);
  const [running, setRunning] = useState(false);
  const [selection, setSelection] = useState<Set<string>>(() => new Set());

  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  // Rows that left the page (deleted, or moved by paging) drop out of the selection.
  const selected = useMemo(() => new Set(items.filter((i) => selection.has(i.uuid)).map((i) => i.uuid)), [items, selection]);
  const toggleOne = useCallback(
    (uuid: string) =>
      setSelection((s) => {
        const next = new Set(s);
        if (next.has(uuid)) next.delete(uuid);
        else next.add(uuid);
        return next;
      }),
    [],
  );
  const selectedRows = items.filter((i) => selected.has(i.uuid));
  const allowedFor = (action: InstanceActionName) => selectedRows.filter((i) => checkAction(action, i, { isAdmin }).allowed);
  const bulkDeletable = allowedFor("delete");

  // The dialog reads the rows as they are now, not as they were when it opened.
  const liveRequest = request && { ...request, targets: request.targets.map((t) => items.find((i) => i.uuid === t.uuid) ?? t) };

  const hrefFor = (p: number) => pathname + listUrlQuery({ page: p, filters, sort });
  // Another page, filter or order is this page with another URL: pushState (which Next's router
  // follows, useSearchParams included) and the list query above fetches it, showing the previous
  // rows meanwhile. A router navigation would ask the server to render the page again instead.
  // Push, so Back undoes it; only a load or reload of the URL is rendered on the server.
  const go = (href: string) => window.history.pushState(null, "", href);
  // A new filter or order starts again from the first page.
  const setFilters = (next: ListFilters) => go(pathname + listUrlQuery({ page: 1, filters: next, sort }));
  function sortBy(key: ListSortKey) {
    const dir = sort.sort === key ? (sort.dir === "asc" ? "desc" : "asc") : DESC_FIRST.includes(key) ? "desc" : "asc";
    go(pathname + listUrlQuery({ page: 1, filters, sort: { sort: key, dir } }));
  }

  function dropFromSelection(action: InstanceActionName, uuids: string[]) {
    if (action === "delete") setSelection((s) => new Set([...s].filter((u) => !uuids.includes(u))));
  }

  async function bulk(action: InstanceActionName) {
    if (dialogFor(action) !== "none") {
      setRequest({ action, targets: selectedRows });
      return;
    }
    // Horizon runs Start without asking; the dialog appears only to report what did not happen.
    setRunning(true);
    try {
      const outcomes = await runBatch(client, action, selectedRows, isAdmin);
      const message = acceptedMessage(action, outcomes);
      if (message) toast(message);
      if (outcomes.some((o) => o.result !== "accepted")) setRequest({ action, targets: selectedRows, outcomes });
    } finally {
      setRunning(false);
    }
  }

  const bulkItems: MenuItem[] = BULK_MENU.map((action) => {
    const n = allowedFor(action).length;
    const label = pluralLabel(action, true);
    return {
      key: action,
      label: n > 0 ? `${label} (${n})` : label,
      danger: dialogFor(action) === "confirm",
      disabled: n === 0 || running,
      reason: selectedRows.length === 0 ? "Select instances first." : n === 0 ? "None of the selected instances allows this in its current state." : undefined,
      onSelect: () => void bulk(action),
    };
  });

  return (
    <div className="space-y-6">
      <PageHeader
        title="Instances"
        description="Virtual machines in this project. Changes appear as they happen."
        actions={
          <>
            {selectedRows.length > 0 && (
              <span className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
                {selectedRows.length} selected
              </span>
            )}
            <Button
              variant="secondary"
              disabled={bulkDeletable.length === 0}
              onClick={() => setRequest({ action: "delete", targets: selectedRows })}
            >
              Delete Instances{bulkDeletable.length > 0 ? ` (${bulkDeletable.length})` : ""}
            </Button>
            <MenuButton size="md" label={<>More Actions <span aria-hidden="true">▾</span></>} items={bulkItems} disabled={selectedRows.length === 0} />
            <Button variant="primary" onClick={() => setLaunching(true)}>
              Launch Instance
            </Button>
          </>
        }
      />

      <InstanceFilterBar filters={filters} isAdmin={isAdmin} onChange={setFilters} />

      {invalid.length > 0 && <ErrorAlert>Ignored in the address: {invalid.join("; ")}.</ErrorAlert>}
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
        ) : items.length === 0 && !list.isError && filtered ? (
          <EmptyState
            title="No instances match these filters"
            action={
              <Button variant="secondary" onClick={() => setFilters({})}>
                Clear filters
              </Button>
            }
          >
            Remove a filter or change its value to see more instances.
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
          <InstancesTable items={items} selected={selected} onSelectionChange={setSelection} onToggle={toggleOne} sort={sort} onSort={sortBy} />
        )}
      </section>
      {/* Parsed only after every row: the server page's first paint waits for it. */}
      <span id={INSTANCE_LIST_END_ID} hidden />

      {list.data && list.data.total > 0 && (
        <Pagination page={page} pageSize={INSTANCES_PAGE_SIZE} total={list.data.total} hrefFor={hrefFor} onNavigate={go} itemLabel="instances" />
      )}

      <LaunchInstanceDialog open={launching} onClose={() => setLaunching(false)} />
      {liveRequest && (
        <InstanceActionDialog
          key={liveRequest.action + liveRequest.targets.map((t) => t.uuid).join()}
          request={liveRequest}
          isAdmin={isAdmin} onClose={() => setRequest(null)} onAccepted={dropFromSelection} />
      )}
    </div>
  );
}
