"use client";

import Link from "next/link";
import type { MouseEvent } from "react";

export interface PaginationProps {
  page: number;
  pageSize: number;
  total: number;
  /** Builds the link for a page, so the page number lives in the URL and survives reloads. */
  hrefFor: (page: number) => string;
  itemLabel: string;
  /**
   * Moves to another page without Next's navigation (a page that follows its URL itself, e.g. by
   * history.pushState). The links stay real links for a new tab or a copied address.
   */
  onNavigate?: (href: string) => void;
}

const LINK =
  "rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium text-zinc-700 hover:bg-zinc-50 " +
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 " +
  "dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800";
const DISABLED =
  "rounded-md border border-zinc-200 px-3 py-1.5 text-sm font-medium text-zinc-400 dark:border-zinc-800 dark:text-zinc-600";

export function Pagination({ page, pageSize, total, hrefFor, itemLabel, onNavigate }: PaginationProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  // From beyond the end (a stale link, rows deleted), Previous leads back to the last real page.
  const previous = Math.min(page - 1, pages);
  const link = (target: number) => {
    const href = hrefFor(target);
    if (!onNavigate) return { href };
    // A plain click stays on this page; a modified one (new tab, new window) is the browser's.
    const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      onNavigate(href);
    };
    return { href, onClick, prefetch: false };
  };
  return (
    <nav aria-label="Pagination" className="flex items-center justify-between gap-4 text-sm text-zinc-600 dark:text-zinc-400">
      <p>
        {first <= last ? `Displaying ${first}–${last} of ${total} ${itemLabel}` : `${total} ${itemLabel} in total`}
      </p>
      <div className="flex items-center gap-2">
        {page > 1 ? (
          <Link className={LINK} {...link(previous)} rel="prev">
            Previous
          </Link>
        ) : (
          <span className={DISABLED} aria-disabled="true">
            Previous
          </span>
        )}
        <span aria-current="page">
          Page {page} of {pages}
        </span>
        {page < pages ? (
          <Link className={LINK} {...link(page + 1)} rel="next">
            Next
          </Link>
        ) : (
          <span className={DISABLED} aria-disabled="true">
            Next
          </span>
        )}
      </div>
    </nav>
  );
}
