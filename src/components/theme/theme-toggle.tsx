"use client";

import { THEME_MODES, type ThemeMode } from "./theme";
import { useTheme } from "./theme-provider";

const LABELS: Record<ThemeMode, string> = { system: "System", light: "Light", dark: "Dark" };

/** A three-way segmented control: System / Light / Dark. */
export function ThemeToggle() {
  const { mode, setMode } = useTheme();
  return (
    <div role="group" aria-label="Colour theme" className="inline-flex rounded-md border border-zinc-200 bg-white p-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900">
      {THEME_MODES.map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={mode === m}
          onClick={() => setMode(m)}
          className={
            "rounded px-2 py-1 font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500 " +
            (mode === m
              ? "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900"
              : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100")
          }
        >
          {LABELS[m]}
        </button>
      ))}
    </div>
  );
}
