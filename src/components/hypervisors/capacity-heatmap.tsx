// A glance at the whole cloud: one cell per compute host, coloured by its fullest resource (vCPU,
// RAM or disk against schedulable capacity). At a thousand hosts a table needs scrolling to find
// the full ones; here they stand out at once. Down and disabled hosts are marked. The numbers
// behind each cell are in the table below and in the cell's title; screen readers get the counts
// per band as the figure's label.
import type { RouterOutputs } from "@/lib/trpc/types";

type Hypervisor = RouterOutputs["hypervisor"]["list"][number];

const BANDS = [
  { upTo: 50, label: "under 50 %", cell: "bg-emerald-500/70 dark:bg-emerald-500/60" },
  { upTo: 80, label: "50–80 %", cell: "bg-indigo-500/80 dark:bg-indigo-400/70" },
  { upTo: 95, label: "80–95 %", cell: "bg-amber-500 dark:bg-amber-400" },
  { upTo: Infinity, label: "95 % or more", cell: "bg-red-600 dark:bg-red-500" },
] as const;

function pct(used: number, capacity: number): number {
  return capacity > 0 ? (used / capacity) * 100 : used > 0 ? 100 : 0;
}

/** The host's fullest resource, as a percentage of what the scheduler may place there. */
export function fullest(h: Hypervisor): { resource: string; pct: number } {
  const all = [
    { resource: "vCPU", pct: pct(h.vcpus.used, h.vcpus.capacity) },
    { resource: "RAM", pct: pct(h.memoryMb.used, h.memoryMb.capacity) },
    { resource: "disk", pct: pct(h.localGb.used, h.localGb.capacity) },
  ];
  return all.reduce((a, b) => (b.pct > a.pct ? b : a));
}

type Band = (typeof BANDS)[number];

function bandOf(p: number): Band {
  return BANDS.find((b) => p < b.upTo) ?? BANDS[3];
}

export function CapacityHeatmap({ hosts }: { hosts: Hypervisor[] }) {
  const cells = hosts.map((h) => ({ h, full: fullest(h) }));
  const counts = BANDS.map((b) => cells.filter((c) => c.h.state === "up" && bandOf(c.full.pct) === b).length);
  const down = cells.filter((c) => c.h.state !== "up").length;
  const summary =
    `${hosts.length} hosts by their fullest resource: ` +
    BANDS.map((b, i) => `${counts[i]} ${b.label}`).join(", ") +
    (down ? `, ${down} down` : "") +
    ".";

  return (
    <figure className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <figcaption className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-sm font-semibold text-zinc-700 dark:text-zinc-300">Capacity by host</h2>
        <ul className="flex flex-wrap gap-3 text-xs text-zinc-600 dark:text-zinc-400" aria-hidden="true">
          {BANDS.map((b, i) => (
            <li key={b.label} className="inline-flex items-center gap-1">
              <span className={`inline-block size-2.5 rounded-sm ${b.cell}`} />
              {b.label} ({counts[i]})
            </li>
          ))}
          <li className="inline-flex items-center gap-1">
            <span className="inline-block size-2.5 rounded-sm border border-dashed border-zinc-500" />
            down ({down})
          </li>
        </ul>
      </figcaption>
      <div role="img" aria-label={summary} data-testid="capacity-heatmap" className="mt-3 flex flex-wrap gap-1">
        {cells.map(({ h, full }) => (
          <span
            key={h.id}
            data-host={h.host}
            data-band={h.state === "up" ? bandOf(full.pct).label : "down"}
            title={`${h.host}: ${full.resource} ${Math.round(full.pct)}% of schedulable capacity${h.state === "up" ? "" : " — down"}${h.status === "disabled" ? " — disabled" : ""}`}
            className={
              "inline-block size-4 rounded-sm " +
              (h.state === "up" ? bandOf(full.pct).cell : "border border-dashed border-zinc-500 bg-transparent") +
              (h.status === "disabled" ? " opacity-40" : "")
            }
          />
        ))}
      </div>
    </figure>
  );
}
