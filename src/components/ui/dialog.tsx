"use client";
// A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert,
// traps focus and closes on Escape, which is the behaviour an accessible modal needs. Focus returns
// to whatever opened it.
import { useEffect, useId, useRef, type ReactNode } from "react";

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  /** Set while a request is in flight, so Escape cannot abandon it half-way. */
  busy?: boolean;
  size?: "sm" | "md";
}

export function Dialog({ open, onClose, title, description, children, busy = false, size = "md" }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const shown = useRef(false);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      shown.current = true;
    } else if (!open && dialog.open) {
      dialog.close();
      shown.current = false;
      opener.current?.focus();
    }
  }, [open]);

  // Unmounting while open must hand focus back rather than strand it on a removed node.
  useEffect(
    () => () => {
      if (shown.current) opener.current?.focus();
    },
    [],
  );

  return (
    <dialog
      ref={ref}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
      className={
        "m-auto w-[calc(100%-2rem)] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl " +
        "backdrop:bg-zinc-950/50 backdrop:backdrop-blur-[1px] dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 " +
        (size === "sm" ? "max-w-md" : "max-w-lg")
      }
    >
      {open && (
        <div className="p-6">
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          {description && (
            <div id={descId} className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
              {description}
            </div>
          )}
          <div className="mt-4">{children}</div>
        </div>
      )}
    </dialog>
  );
}
