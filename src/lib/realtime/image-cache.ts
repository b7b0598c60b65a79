// Applies a pushed image change to the cached image list: replace by id or add a new image (the
// list is sorted by name, as the API sorts it), or drop a deleted one. Pure, like instance-cache.
import type { ImageView } from "@/server/images/image-view";

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/** The socket delivers JSON: turn its date strings back into the Dates the API returns. */
export function normalizeImage(raw: ImageView): ImageView {
  return { ...raw, createdAt: asDate(raw.createdAt), updatedAt: asDate(raw.updatedAt) };
}

function byNameThenCreated(a: ImageView, b: ImageView): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.createdAt.getTime() - b.createdAt.getTime();
}

/** The list with `view` in place; the same array when the cached row is newer. */
export function upsertImage<I extends ImageView>(list: I[], view: I): I[] {
  const i = list.findIndex((x) => x.id === view.id);
  if (i >= 0) {
    const current = list[i] as I;
    if (current.updatedAt.getTime() > view.updatedAt.getTime()) return list;
    if (current.updatedAt.getTime() === view.updatedAt.getTime() && current.status === view.status) return list;
    const next = list.slice();
    next[i] = view;
    return current.name === view.name ? next : next.sort(byNameThenCreated);
  }
  return [...list, view].sort(byNameThenCreated);
}

export function removeImage<I extends ImageView>(list: I[], id: string): I[] {
  return list.some((x) => x.id === id) ? list.filter((x) => x.id !== id) : list;
}

/**
 * Image events seen lately, so a list fetched while one flew past (it may have read the row just
 * before the change, or before the image existed) is brought level when it lands. Events older
 * than `maxAgeMs` are forgotten: by then any fetch has seen what they said.
 */
export class RecentImageEvents {
  private readonly seen = new Map<string, { view: ImageView; at: number }>();

  constructor(
    private readonly maxAgeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(view: ImageView): void {
    const prev = this.seen.get(view.id);
    if (prev && prev.view.updatedAt.getTime() > view.updatedAt.getTime()) return;
    this.seen.delete(view.id);
    this.seen.set(view.id, { view, at: this.now() });
    this.prune();
  }

  /** The list with every newer recent event applied (deleted images dropped); the same array if none applies. */
  overlay<I extends ImageView>(list: I[]): I[] {
    this.prune();
    let out = list;
    for (const { view } of this.seen.values()) {
      if (view.status === "deleted") out = removeImage(out, view.id);
      else out = upsertImage(out, view as I);
    }
    return out;
  }

  private prune(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [id, e] of this.seen) if (e.at < cutoff) this.seen.delete(id);
  }
}
