// The scheduler's configuration: filters, weighers and their multipliers, subset size, attempts and
// allocation ratios come from the environment; an unknown filter name stops the controller at
// start-up with a message naming it (Nova's SchedulerHostFilterNotFound).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

async function loadConfig(env: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const script = 'import("./src/server/config.ts").then(({ config }) => console.log(JSON.stringify(config.scheduler)));';
  try {
    const { stdout } = await run(path.join(root, "node_modules/.bin/tsx"), ["--eval", script], {
      cwd: root,
      env: { ...process.env, ...env, NODE_ENV: "test" },
    });
    return { ok: true, out: stdout };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    return { ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("scheduler configuration", () => {
  it("stops at start-up on an unknown filter, naming it and the filters there are", async () => {
    const r = await loadConfig({ STRATUS_SCHEDULER_FILTERS: "ComputeFilter, RetryFilter" });
    expect(r.ok).toBe(false);
    expect(r.out).toContain("invalid configuration: STRATUS_SCHEDULER_FILTERS: unknown scheduler filter 'RetryFilter'");
    expect(r.out).toContain("the filters are AvailabilityZoneFilter, ComputeFilter, RamFilter");
  });

  it("reads the filter order, weigher multipliers, subset size, attempts and initial ratios", async () => {
    const r = await loadConfig({
      STRATUS_SCHEDULER_FILTERS: "ComputeFilter,RamFilter",
      STRATUS_SCHEDULER_WEIGHERS: "RAMWeigher,BuildFailureWeigher",
      STRATUS_RAM_WEIGHT_MULTIPLIER: "-1.5",
      STRATUS_SCHEDULER_HOST_SUBSET_SIZE: "3",
      STRATUS_SCHEDULER_MAX_ATTEMPTS: "5",
      STRATUS_CPU_ALLOCATION_RATIO: "4",
    });
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.out)).toMatchObject({
      filters: ["ComputeFilter", "RamFilter"],
      weighers: [
        { name: "RAMWeigher", multiplier: -1.5 },
        { name: "BuildFailureWeigher", multiplier: 1_000_000 },
      ],
      hostSubsetSize: 3,
      maxAttempts: 5,
      initialAllocationRatios: { cpu: 4, ram: 1.5, disk: 1 },
    });
  });

  it("refuses a negative soft-affinity multiplier, as Nova does", async () => {
    const r = await loadConfig({ STRATUS_SOFT_AFFINITY_WEIGHT_MULTIPLIER: "-1" });
    expect(r.ok).toBe(false);
    expect(r.out).toContain("STRATUS_SOFT_AFFINITY_WEIGHT_MULTIPLIER: must be at least 0");
  });
});
