// npm run bench:create -- --qemu — how long a create takes on real QEMU (TCG here), end to end
// through the real API, scheduler, conductor and one agent driving a private libvirtd
// (test/integration/qemu/stack.ts): one create at a time (the first fetches the image into the
// agent's cache, the others hit it), then a few at once. Each create is broken down by step from
// its instance action: the scheduler's event, and the agent's build event whose details carry the
// agent's own step timings (image cache hit/miss, overlay, define, start); the boot marker comes
// from the guest's serial console log. Prints figures; asserts nothing.
//
//   npm run bench:create -- --qemu [--serial 3] [--parallel 2]
import { query } from "../test/integration/harness";
import { startQemuStack, type QemuStack } from "../test/integration/qemu/stack";

export interface QemuBenchOptions {
  serial: number;
  parallel: number;
}

interface Sample {
  cache: string;
  apiMs: number;
  scheduleMs: number;
  imageMs: number;
  overlayMs: number;
  defineMs: number;
  startMs: number;
  buildMs: number;
  activeMs: number;
  firstConsoleLineMs: number;
  bootCompleteMs: number;
}

const BUILD_TIMINGS = /image cache (hit|miss) (\d+) ms, overlay (\d+) ms, define (\d+) ms, start (\d+) ms/;

async function waitActive(stack: QemuStack, uuid: string): Promise<number> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const v = await stack.admin.server.get.query({ id: uuid });
    if (v.status === "ACTIVE") return Date.now();
    if (v.status === "ERROR") throw new Error(`${v.name} failed: ${v.fault?.message ?? "?"}`);
    if (Date.now() > deadline) throw new Error(`${v.name} not ACTIVE after 300 s (${v.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitDeleted(stack: QemuStack, uuid: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await query<{ deletedAt: unknown }>(stack.controller.databaseUrl, `SELECT "deletedAt" FROM instances WHERE uuid = '${uuid}'`);
    if (row?.deletedAt) return;
    if (Date.now() > deadline) throw new Error(`instance ${uuid} not deleted after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One create, timed from the API call to "boot complete" on the guest's console. */
async function timedCreate(stack: QemuStack, imageId: string, name: string): Promise<Sample & { uuid: string }> {
  const started = Date.now();
  const { requestId, instances } = await stack.admin.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  const apiMs = Date.now() - started;
  const uuid = instances[0]!.uuid;
  const consoleLog = stack.console(uuid);
  // The console is polled from the moment the create returns, so boot times are not late by a wait.
  const firstBoot = consoleLog.waitFor(/\S/, { timeoutMs: 300_000 }).then(() => Date.now());
  const bootComplete = consoleLog.waitFor(/^STRATUS-GUEST: boot complete$/, { timeoutMs: 300_000 }).then(() => Date.now());
  const activeAt = await waitActive(stack, uuid);
  const [firstBootAt, completeAt] = await Promise.all([firstBoot, bootComplete]);

  const action = (await stack.admin.server.actions.query({ id: uuid })).find((a) => a.requestId === requestId);
  const span = (event: string): number => {
    const e = action?.events.find((x) => x.event === event);
    return e?.finishTime ? e.finishTime.getTime() - e.startTime.getTime() : NaN;
  };
  const build = action?.events.find((e) => e.event === "compute__do_build_and_run_instance");
  const m = BUILD_TIMINGS.exec(build?.details ?? "");
  return {
    uuid,
    cache: m?.[1] ?? "?",
    apiMs,
    scheduleMs: span("schedule_instances"),
    imageMs: Number(m?.[2] ?? NaN),
    overlayMs: Number(m?.[3] ?? NaN),
    defineMs: Number(m?.[4] ?? NaN),
    startMs: Number(m?.[5] ?? NaN),
    buildMs: span("compute__do_build_and_run_instance"),
    activeMs: activeAt - started,
    firstConsoleLineMs: firstBootAt - started,
    bootCompleteMs: completeAt - started,
  };
}

const COLUMNS: Array<[string, keyof Sample]> = [
  ["cache", "cache"],
  ["API", "apiMs"],
  ["schedule", "scheduleMs"],
  ["image", "imageMs"],
  ["overlay", "overlayMs"],
  ["define", "defineMs"],
  ["start", "startMs"],
  ["agent build", "buildMs"],
  ["→ACTIVE", "activeMs"],
  ["→console", "firstConsoleLineMs"],
  ["→boot complete", "bootCompleteMs"],
];

function table(label: string, samples: Sample[]): string {
  const head = ["#", ...COLUMNS.map(([h]) => h)];
  const rows = samples.map((s, i) => [String(i + 1), ...COLUMNS.map(([, k]) => (typeof s[k] === "number" ? String(s[k]) : s[k]))]);
  const mean = (k: keyof Sample, of: Sample[]) => (of.length ? Math.round(of.reduce((a, s) => a + (s[k] as number), 0) / of.length) : NaN);
  const hits = samples.filter((s) => s.cache === "hit");
  if (hits.length > 1) rows.push(["hit mean", ...COLUMNS.map(([, k]) => (k === "cache" ? "hit" : String(mean(k, hits))))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "  " + cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [label, line(head), ...rows.map(line)].join("\n");
}

export async function runQemuBench(options: QemuBenchOptions): Promise<void> {
  const stack = await startQemuStack({
    hostName: "bench-qemu",
    // No cache pass: the base stays cached between the creates.
    agentEnv: { STRATUS_IMAGE_CACHE_INTERVAL: "0", STRATUS_LOG_LEVEL: "warn" },
    controllerEnv: { STRATUS_LOG_LEVEL: "warn" },
  });
  try {
    const uploadStarted = Date.now();
    const image = await stack.uploadImage("bench-tiny", stack.images.tiny);
    const uploadMs = Date.now() - uploadStarted;
    const [node] = await query<{ hypervisorType: string; hypervisorVersion: number; vcpus: number }>(
      stack.controller.databaseUrl,
      `SELECT "hypervisorType", "hypervisorVersion", vcpus FROM compute_nodes`,
    );
    const version = Number(node!.hypervisorVersion);
    const xml = (name: string) => stack.host.virsh(["dumpxml", name]);

    // One create at a time, each waited for until its guest has booted (an idle guest costs
    // ~1 % of a core, so the earlier ones stay until the end).
    const serial: Array<Sample & { uuid: string }> = [];
    for (let i = 0; i < options.serial; i++) serial.push(await timedCreate(stack, image.id, `bench-serial-${i}`));
    const domainType = /<domain type='(\w+)'/.exec(await xml(stack.domain(serial[0]!.uuid)))?.[1] ?? "?";
    for (const s of serial) await stack.admin.server.delete.mutate({ id: s.uuid });
    // The deletes run on the agent's one libvirt connection: let them finish before timing more.
    for (const s of serial) await waitDeleted(stack, s.uuid);

    const parallel = await Promise.all(Array.from({ length: options.parallel }, (_, i) => timedCreate(stack, image.id, `bench-parallel-${i}`)));

    console.log(
      `bench:create --qemu: ${node!.hypervisorType} ${Math.floor(version / 1e6)}.${Math.floor(version / 1e3) % 1000}.${version % 1000}, ` +
        `domain type ${domainType}${domainType === "qemu" ? " (TCG)" : ""}, ${node!.vcpus} host vCPUs; flavor m1.tiny (1 vCPU, 512 MB, 1 GB); ` +
        `image tiny.raw ${(image.size! / 1024 / 1024).toFixed(0)} MiB raw, uploaded in ${uploadMs} ms`,
    );
    console.log("all figures in ms, from the create API call; image/overlay/define/start are the agent's own step timings; →console: first line on the serial console (firmware/bootloader), →boot complete: the guest init's marker");
    console.log(table(`serial (${options.serial} creates one at a time; the first fetches the image into _base):`, serial));
    console.log(table(`parallel (${options.parallel} creates at once, cache hits):`, parallel));
  } finally {
    await stack.stop();
  }
}
