// Applies live instance events to the React Query caches: a changed instance replaces its row in
// every cached server.list page and its server.get entry; a removed one leaves them. Pure functions
// over the cached data, so the rules are testable without a socket.
import { matchesFilters, type ServerListInput } from "@/lib/instance-list-query";
import type { InstanceView } from "@/lib/instance-view";

export interface InstancePage {
  items: InstanceView[];
  total: number;
}

/** An event is applied only if it is not older than what the cache already holds. */
export function isNewer(incoming: InstanceView, cached: InstanceView): boolean {
  return Date.parse(incoming.updatedAt) >= Date.parse(cached.updatedAt);
}

/** Field-by-field equality; the cache's structural sharing means references alone cannot tell. */
export function sameView(a: InstanceView, b: InstanceView): boolean {
  for (const key of Object.keys(a) as (keyof InstanceView)[]) {
    if (key === "fault" || key === "addresses") {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return false;
    } else if (a[key] !== b[key]) return false;
  }
  return true;
}

/** The page with `view` swapped in for its row; the same object when the row is absent, newer or equal. */
export function replaceInPage<P extends InstancePage>(page: P, view: InstanceView): P {
  const i = page.items.findIndex((row) => row.uuid === view.uuid);
  const current = i < 0 ? undefined : page.items[i];
  if (!current || !isNewer(view, current) || sameView(view, current)) return page;
  const items = page.items.slice();
  items[i] = view;
  return { ...page, items };
}

/**
 * Whether a list page sorted newest first (the API's order) ought to show `view` although it does
 * not: the instance is at least as new as the page's oldest row, or the page is the last one and
 * has room. Compares server timestamps only, so the browser's clock cannot skew it.
 */
export function belongsOnPage(page: InstancePage, view: InstanceView, pageNumber: number, pageSize: number): boolean {
  if (page.items.some((row) => row.uuid === view.uuid)) return false;
  if (page.items.length === 0) return pageNumber === 1;
  const oldest = Math.min(...page.items.map((row) => Date.parse(row.createdAt)));
  const created = Date.parse(view.createdAt);
  return created >= oldest || page.items.length < pageSize;
}

/**
 * Whether a cached list lacks a row it ought to show, so it should refetch: the instance is in the
 * list's scope and passes its filters (a filtered page never gains a row that does not match), and
 * either the list is in the default newest-first order and the row falls on this page, or the list
 * is in another order, where only the server can place the row (the caller refetches once per row).
 */
export function listLacksRow(page: InstancePage, view: InstanceView, input: ServerListInput, ownProjectId: string): boolean {
  if (!input.allProjects && view.projectId !== ownProjectId) return false;
  if (!matchesFilters(view, input)) return false;
  if (input.sort === "created" && input.dir === "desc") return belongsOnPage(page, view, input.page, input.pageSize);
  return !page.items.some((row) => row.uuid === view.uuid);
}

/** The page without the row for `uuid`; the same object when it was not there. */
export function removeFromPage<P extends InstancePage>(page: P, uuid: string): P {
  if (!page.items.some((row) => row.uuid === uuid)) return page;
  return { ...page, items: page.items.filter((row) => row.uuid !== uuid), total: Math.max(0, page.total - 1) };
}

/**
 * Events seen recently, kept so a list that was being fetched while an event flew past can be
 * brought up to date when it lands (the fetch may have read the row just before the change).
 */
export class RecentInstanceEvents {
  private readonly changed = new Map<string, InstanceView>();
  private readonly removed = new Set<string>();

  constructor(private readonly limit = 2000) {}

  noteChanged(view: InstanceView): void {
    const prev = this.changed.get(view.uuid);
    if (prev && !isNewer(view, prev)) return;
    this.removed.delete(view.uuid);
    this.changed.delete(view.uuid);
    this.changed.set(view.uuid, view);
    this.trim();
  }

  noteRemoved(uuid: string): void {
    this.changed.delete(uuid);
    this.removed.add(uuid);
    if (this.removed.size > this.limit) {
      const oldest = this.removed.values().next();
      if (!oldest.done) this.removed.delete(oldest.value);
    }
  }

  /** The page with every newer event applied and every removed row dropped. */
  overlay<P extends InstancePage>(page: P): P {
    let out = page;
    for (const row of page.items) {
      if (this.removed.has(row.uuid)) {
        out = removeFromPage(out, row.uuid);
        continue;
      }
      const seen = this.changed.get(row.uuid);
      if (seen) out = replaceInPage(out, seen);
    }
    return out;
  }

  private trim(): void {
    while (this.changed.size > this.limit) {
      const oldest = this.changed.keys().next();
      if (oldest.done) break;
      this.changed.delete(oldest.value);
    }
  }
}
