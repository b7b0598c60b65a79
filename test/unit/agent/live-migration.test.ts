// The pieces of live migration that are logic, not libvirt: reading libvirt's job figures, the
// progress and time left shown from them, the completion timeout and its action, the command line
// Nova's flags become, and the destination paths in the domain XML. The migration itself is proven
// on real QEMU (test/integration/qemu/live-migration.test.ts).
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { parseJobStats, type JobStats } from "../../../agent/driver/job-stats";
import { migrateArgs } from "../../../agent/driver/virsh-migrate";
import { LiveMigrationMonitor, progressFigures, progressPercent } from "../../../agent/migration/live-migration-monitor";
import { rewritePaths } from "../../../agent/migration/live-migration-tasks";
import { completionTimeoutSec } from "@/server/conductor/live-migration";

// Captured from `virsh domjobinfo --rawstats` during a real migration on this machine.
const RUNNING = `Job type: 2

operation: 5
time_elapsed: 5305
downtime: 300
setup_time: 4
data_total: 537600000
data_processed: 36376518
data_remaining: 477659136
memory_total: 537403392
memory_processed: 36179910
memory_remaining: 477659136
memory_bps: 8330079
memory_constant: 5783
memory_normal: 8803
memory_dirty_rate: 0
memory_iteration: 1
memory_page_size: 4096
disk_total: 196608
disk_processed: 196608
disk_remaining: 0
`;

const COMPLETED = `Job type: 3

operation: 4
time_elapsed: 14057
downtime: 56
memory_total: 537403392
memory_processed: 103326010
memory_remaining: 0
disk_total: 0
`;

describe("libvirt's job figures", () => {
  it("reads a running outgoing migration", () => {
    expect(parseJobStats(RUNNING)).toMatchObject({
      type: "unbounded",
      operation: 5,
      elapsedMs: 5305,
      memoryTotal: 537403392,
      memoryProcessed: 36179910,
      memoryRemaining: 477659136,
      memoryBps: 8330079,
      memoryIteration: 1,
      diskTotal: 196608,
      diskRemaining: 0,
      diskBps: 0,
    });
  });

  it("reads a completed one with its downtime, and no job at all", () => {
    expect(parseJobStats(COMPLETED)).toMatchObject({ type: "completed", downtimeMs: 56, elapsedMs: 14057, memoryRemaining: 0 });
    expect(parseJobStats("Job type: 0\n\n")).toMatchObject({ type: "none", downtimeMs: null, memoryTotal: 0 });
  });

  it("refuses output that is not domjobinfo's", () => {
    expect(() => parseJobStats("error: something\n")).toThrow(/unexpected domjobinfo output/);
    expect(() => parseJobStats("Job type: 9\n")).toThrow(/unexpected/);
  });
});

describe("progress shown from the figures", () => {
  const stats = parseJobStats(RUNNING);

  it("uses libvirt's rate and says how long is left at it", () => {
    const f = progressFigures(stats, null, 0, false);
    expect(f.bytesPerSecond).toBe(8330079);
    expect(f.etaSeconds).toBe(Math.ceil(477659136 / 8330079));
    expect(progressPercent(f)).toBe(Math.floor(100 - (477659136 * 100) / (537403392 + 196608)));
  });

  it("falls back on what moved since the last reading, and has no estimate without a rate", () => {
    const noRate: JobStats = { ...stats, memoryBps: 0 };
    expect(progressFigures(noRate, null, 1000, false).etaSeconds).toBeNull();
    const f = progressFigures(noRate, { at: 0, processed: stats.memoryProcessed + stats.diskProcessed - 10 * 1024 * 1024 }, 1000, false);
    expect(f.bytesPerSecond).toBe(10 * 1024 * 1024);
  });

  it("never shows 100 % before the migration has completed", () => {
    expect(progressPercent({ memoryTotal: 100, memoryRemaining: 0, diskTotal: 0, diskRemaining: 0 })).toBe(99);
    expect(progressPercent({ memoryTotal: 0, memoryRemaining: 0, diskTotal: 0, diskRemaining: 0 })).toBe(0);
  });
});

function fakeHypervisor(stats: JobStats | null) {
  return {
    jobStats: vi.fn(async () => stats),
    abortJob: vi.fn(async () => undefined),
    suspend: vi.fn(async () => undefined),
    setMigrationBandwidth: vi.fn(async () => undefined),
  };
}
const log = pino({ level: "silent" });

describe("the completion timeout", () => {
  const stats = parseJobStats(RUNNING);

  it("aborts a migration that runs past it when the action is abort, once", async () => {
    const hv = fakeHypervisor(stats);
    const onProgress = vi.fn();
    const m = new LiveMigrationMonitor({ hypervisor: hv, uuid: "u", completionTimeoutSec: 10, timeoutAction: "abort", intervalMs: 1000, log, onProgress });
    await m.tickNow(Date.now() + 5_000);
    expect(hv.abortJob).not.toHaveBeenCalled();
    await m.tickNow(Date.now() + 11_000);
    await m.tickNow(Date.now() + 12_000);
    expect(hv.abortJob).toHaveBeenCalledTimes(1);
    expect(m.abortReason).toMatch(/completion timeout of 10 s/);
    expect(onProgress).toHaveBeenCalledTimes(3);
  });

  it("pauses the guest and lifts the bandwidth cap when the action is force_complete", async () => {
    const hv = fakeHypervisor(stats);
    const m = new LiveMigrationMonitor({ hypervisor: hv, uuid: "u", completionTimeoutSec: 10, timeoutAction: "force_complete", intervalMs: 1000, log, onProgress: () => undefined });
    await m.tickNow(Date.now() + 11_000);
    expect(hv.suspend).toHaveBeenCalledWith("u");
    expect(hv.setMigrationBandwidth).toHaveBeenCalledWith("u", 0);
    expect(m.forced).toBe(true);
    await m.forceComplete("again");
    expect(hv.suspend).toHaveBeenCalledTimes(1);
  });

  it("does nothing with 0 (no timeout) or once the job is over", async () => {
    const hv = fakeHypervisor(stats);
    const m = new LiveMigrationMonitor({ hypervisor: hv, uuid: "u", completionTimeoutSec: 0, timeoutAction: "abort", intervalMs: 1000, log, onProgress: () => undefined });
    await m.tickNow(Date.now() + 10 ** 9);
    expect(hv.abortJob).not.toHaveBeenCalled();
    const done = fakeHypervisor(parseJobStats(COMPLETED));
    const onProgress = vi.fn();
    const m2 = new LiveMigrationMonitor({ hypervisor: done, uuid: "u", completionTimeoutSec: 1, timeoutAction: "abort", intervalMs: 1000, log, onProgress });
    await m2.tickNow(Date.now() + 10_000);
    expect(done.abortJob).not.toHaveBeenCalled();
    expect(onProgress).not.toHaveBeenCalled();
  });

  it("is Nova's: seconds per GiB of memory and disk, each counted as at least 2 GiB", () => {
    expect(completionTimeoutSec({ memoryMb: 512, rootGb: 1, ephemeralGb: 0 }, 800)).toBe(800 * 4);
    expect(completionTimeoutSec({ memoryMb: 8192, rootGb: 20, ephemeralGb: 10 }, 800)).toBe(800 * (8 + 30));
    expect(completionTimeoutSec({ memoryMb: 8192, rootGb: 20, ephemeralGb: 0 }, 0)).toBe(0);
  });
});

describe("the migrate call", () => {
  const request = {
    destUri: "qemu+tcp://10.0.0.2/system",
    dataUri: "tcp://10.0.0.2",
    destXml: "<domain/>",
    persistentXml: "<domain/>",
    copyStorage: true,
    bandwidthMiBps: 0,
  };

  it("carries Nova's flags, the destination's XML and the data address", () => {
    expect(migrateArgs("u", request, { xml: "/t/a.xml", persistentXml: "/t/p.xml" })).toEqual([
      "migrate", "--live", "--p2p", "--persistent", "--undefinesource",
      "--copy-storage-inc", "--disks-uri", "tcp://10.0.0.2",
      "--xml", "/t/a.xml", "--persistent-xml", "/t/p.xml", "--migrateuri", "tcp://10.0.0.2",
      "u", "qemu+tcp://10.0.0.2/system",
    ]);
  });

  it("adds the bandwidth cap when there is one, and no disk copy for shared storage", () => {
    const args = migrateArgs("u", { ...request, copyStorage: false, bandwidthMiBps: 16 }, { xml: "a", persistentXml: "p" });
    expect(args).not.toContain("--copy-storage-inc");
    expect(args.slice(args.indexOf("--bandwidth"), args.indexOf("--bandwidth") + 2)).toEqual(["--bandwidth", "16"]);
  });

  it("moves the domain's files to the destination's instances path, backing file included", () => {
    const xml = "<source file='/a/inst/u/disk'/><backingStore><source file='/a/inst/_base/abc'/></backingStore><log file='/a/inst/u/console.log'/><x>/a/instances</x>";
    expect(rewritePaths(xml, "/a/inst", "/b/other/")).toBe(
      "<source file='/b/other/u/disk'/><backingStore><source file='/b/other/_base/abc'/></backingStore><log file='/b/other/u/console.log'/><x>/a/instances</x>",
    );
    expect(rewritePaths(xml, "/a/inst/", "/a/inst")).toBe(xml);
  });
});
