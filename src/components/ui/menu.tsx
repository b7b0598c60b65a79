"use client";
// A menu button (WAI-ARIA APG "menu button" pattern): a button with aria-haspopup that opens a
// role="menu" list. Arrow keys, Home and End move through the items, a letter jumps to the next
// item starting with it, Enter/Space choose, Escape closes and hands focus back to the button, Tab
// closes and moves on. Disabled items stay focusable (aria-disabled) so a keyboard or screen-reader
// user can reach them and hear why they are disabled: each can carry a reason, shown under its
// label and wired to it with aria-describedby.
//
// The list is portalled to <body> with fixed positioning, so a table's overflow never clips it.
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";

export interface MenuItem {
  key: string;
  label: string;
  onSelect: () => void;
  disabled?: boolean;
  /** Why the item is disabled; read out as the item's description. */
  reason?: string;
  danger?: boolean;
}

const TRIGGER =
  "inline-flex items-center justify-center gap-1 rounded-md border border-zinc-300 bg-white font-medium text-zinc-800 shadow-sm " +
  "hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 " +
  "disabled:cursor-not-allowed disabled:opacity-50 aria-expanded:bg-zinc-100 " +
  "dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:aria-expanded:bg-zinc-800";

const SIZES = { sm: "px-2 py-1 text-xs", md: "px-3 py-2 text-sm" } as const;

interface Position {
  top: number;
  left: number;
  maxHeight: number;
}

const GAP = 4;
const MARGIN = 8;

/** Below the button, right-aligned to it; above it when there is more room there. */
function place(trigger: DOMRect, menu: { width: number; height: number }): Position {
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const below = vh - trigger.bottom - GAP - MARGIN;
  const above = trigger.top - GAP - MARGIN;
  const openUp = menu.height > below && above > below;
  const maxHeight = Math.max(120, openUp ? above : below);
  const height = Math.min(menu.height, maxHeight);
  const top = openUp ? trigger.top - GAP - height : trigger.bottom + GAP;
  const left = Math.min(Math.max(MARGIN, trigger.right - menu.width), Math.max(MARGIN, vw - menu.width - MARGIN));
  return { top, left, maxHeight };
}

export function MenuButton({
  label,
  ariaLabel,
  items,
  size = "sm",
  disabled = false,
  className = "",
}: {
  /** What the button shows. */
  label: ReactNode;
  /** The button's accessible name when `label` is not enough ("More actions for web-1"). */
  ariaLabel?: string;
  items: MenuItem[];
  size?: keyof typeof SIZES;
  disabled?: boolean;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const [position, setPosition] = useState<Position | null>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const itemRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const focusOnOpen = useRef<"first" | "last">("first");
  const triggerId = useId();
  const menuId = useId();

  const close = useCallback((refocus: boolean) => {
    setOpen(false);
    setPosition(null);
    if (refocus) triggerRef.current?.focus();
  }, []);

  const reposition = useCallback(() => {
    const trigger = triggerRef.current;
    const menu = menuRef.current;
    if (!trigger || !menu) return;
    setPosition(place(trigger.getBoundingClientRect(), { width: menu.offsetWidth, height: menu.scrollHeight }));
  }, []);

  // Measure before paint, then focus the first (or last) item.
  useLayoutEffect(() => {
    if (!open) return;
    reposition();
    const target = focusOnOpen.current === "last" ? itemRefs.current[items.length - 1] : itemRefs.current[0];
    target?.focus();
    // Only on opening: items changing while open (a live update) must not steal focus.
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      const t = e.target;
      if (!(t instanceof Node)) return;
      if (menuRef.current?.contains(t) || triggerRef.current?.contains(t)) return;
      close(false);
    };
    document.addEventListener("pointerdown", onPointer);
    window.addEventListener("resize", reposition);
    window.addEventListener("scroll", reposition, true);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      window.removeEventListener("resize", reposition);
      window.removeEventListener("scroll", reposition, true);
    };
  }, [open, close, reposition]);

  // A menu whose button went away (the row left the page) must not float on its own.
  useEffect(() => {
    if (open && items.length === 0) close(false);
  }, [open, items.length, close]);

  function openWith(where: "first" | "last") {
    focusOnOpen.current = where;
    setOpen(true);
  }

  function onTriggerKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      openWith(e.key === "ArrowUp" ? "last" : "first");
    }
  }

  function focusAt(i: number) {
    const n = items.length;
    if (n === 0) return;
    itemRefs.current[((i % n) + n) % n]?.focus();
  }

  function onMenuKey(e: KeyboardEvent<HTMLDivElement>) {
    const current = itemRefs.current.findIndex((el) => el === document.activeElement);
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        focusAt(current + 1);
        return;
      case "ArrowUp":
        e.preventDefault();
        focusAt(current < 0 ? items.length - 1 : current - 1);
        return;
      case "Home":
        e.preventDefault();
        focusAt(0);
        return;
      case "End":
        e.preventDefault();
        focusAt(items.length - 1);
        return;
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        close(true);
        return;
      case "Tab":
        // Focus goes back to the button first, so the browser's Tab moves on from there.
        close(true);
        return;
      default:
        if (e.key.length === 1 && /\S/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
          const ch = e.key.toLowerCase();
          for (let step = 1; step <= items.length; step++) {
            const i = (current + step) % items.length;
            if (items[i]?.label.toLowerCase().startsWith(ch)) {
              focusAt(i);
              break;
            }
          }
        }
    }
  }

  function choose(item: MenuItem) {
    if (item.disabled) return;
    close(true);
    item.onSelect();
  }

  return (
    <>
      <button
        ref={triggerRef}
        id={triggerId}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={ariaLabel}
        disabled={disabled}
        onClick={() => (open ? close(false) : openWith("first"))}
        onKeyDown={onTriggerKey}
        className={`${TRIGGER} ${SIZES[size]} ${className}`}
      >
        {label}
      </button>
      {open &&
        createPortal(
          <div
            ref={menuRef}
            id={menuId}
            role="menu"
            aria-labelledby={triggerId}
            onKeyDown={onMenuKey}
            style={
              position
                ? { position: "fixed", top: position.top, left: position.left, maxHeight: position.maxHeight }
                : // Measured before the first paint; opacity (not visibility) keeps the items focusable.
                  { position: "fixed", top: 0, left: 0, opacity: 0 }
            }
            className="z-50 w-72 overflow-y-auto rounded-lg border border-zinc-200 bg-white p-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
          >
            {items.map((item, i) => (
              <MenuItemButton
                key={item.key}
                item={item}
                ref={(el) => {
                  itemRefs.current[i] = el;
                }}
                onChoose={() => choose(item)}
              />
            ))}
          </div>,
          document.body,
        )}
    </>
  );
}

function MenuItemButton({ item, ref, onChoose }: { item: MenuItem; ref: (el: HTMLButtonElement | null) => void; onChoose: () => void }) {
  const reasonId = useId();
  const showReason = item.disabled && item.reason;
  return (
    <button
      ref={ref}
      type="button"
      role="menuitem"
      tabIndex={-1}
      aria-disabled={item.disabled || undefined}
      aria-describedby={showReason ? reasonId : undefined}
      title={showReason ? item.reason : undefined}
      data-action={item.key}
      onClick={onChoose}
      className={
        "block w-full rounded-md px-3 py-1.5 text-left outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 " +
        (item.disabled
          ? "cursor-not-allowed text-zinc-500 focus:bg-zinc-50 dark:text-zinc-400 dark:focus:bg-zinc-800/60"
          : item.danger
            ? "text-red-700 hover:bg-red-50 focus:bg-red-50 dark:text-red-400 dark:hover:bg-red-950/40 dark:focus:bg-red-950/40"
            : "text-zinc-800 hover:bg-zinc-100 focus:bg-zinc-100 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:focus:bg-zinc-800")
      }
    >
      <span className="block font-medium">{item.label}</span>
      {/* Out of the item's name (which stays its label) but its description, via aria-describedby. */}
      {showReason && (
        <span id={reasonId} aria-hidden="true" className="mt-0.5 block text-xs leading-snug font-normal break-words text-zinc-600 dark:text-zinc-400">
          {item.reason}
        </span>
      )}
    </button>
  );
}
