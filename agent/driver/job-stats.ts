// A domain job's statistics as libvirt keeps them (virDomainGetJobStats; `virsh domjobinfo
// --rawstats`): what a live migration has moved and has left, which is what Nova's migration
// monitor reads every half second and what the dashboard shows while an instance moves.

/** virDomainJobType. */
export type JobType = "none" | "bounded" | "unbounded" | "completed" | "failed" | "cancelled";

const JOB_TYPES: readonly JobType[] = ["none", "bounded", "unbounded", "completed", "failed", "cancelled"];

export interface JobStats {
  type: JobType;
  /** virDomainJobOperation: 4 incoming migration, 5 outgoing migration, ... (0 when unknown). */
  operation: number;
  elapsedMs: number;
  /** Measured downtime of a completed migration, or QEMU's expected downtime while it runs. */
  downtimeMs: number | null;
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memoryTotal: number;
  memoryProcessed: number;
  memoryRemaining: number;
  /** Memory transfer rate, bytes per second. */
  memoryBps: number;
  /** Guest pages dirtied per second (0 when QEMU does not say). */
  memoryDirtyRate: number;
  /** Pre-copy passes over guest memory so far. */
  memoryIteration: number;
  diskTotal: number;
  diskProcessed: number;
  diskRemaining: number;
  diskBps: number;
}

/** Parses `virsh domjobinfo --rawstats`: "Job type: N", then one "name: value" per typed parameter. */
export function parseJobStats(text: string): JobStats {
  const fields = new Map<string, string>();
  let typeCode: number | null = null;
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_ .]+?):\s*(\S.*)?$/.exec(line);
    if (!m) continue;
    const key = m[1]!.trim();
    const value = (m[2] ?? "").trim();
    if (key === "Job type") typeCode = Number(value);
    else fields.set(key, value);
  }
  if (typeCode === null || !Number.isInteger(typeCode) || !JOB_TYPES[typeCode]) {
    throw new Error(`unexpected domjobinfo output: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const num = (key: string): number => {
    const v = Number(fields.get(key));
    return Number.isFinite(v) && v >= 0 ? v : 0;
  };
  const downtime = fields.get("downtime");
  return {
    type: JOB_TYPES[typeCode]!,
    operation: num("operation"),
    elapsedMs: num("time_elapsed"),
    downtimeMs: downtime === undefined ? null : num("downtime"),
    dataTotal: num("data_total"),
    dataProcessed: num("data_processed"),
    dataRemaining: num("data_remaining"),
    memoryTotal: num("memory_total"),
    memoryProcessed: num("memory_processed"),
    memoryRemaining: num("memory_remaining"),
    memoryBps: num("memory_bps"),
    memoryDirtyRate: num("memory_dirty_rate"),
    memoryIteration: num("memory_iteration"),
    diskTotal: num("disk_total"),
    diskProcessed: num("disk_processed"),
    diskRemaining: num("disk_remaining"),
    diskBps: num("disk_bps"),
  };
}
