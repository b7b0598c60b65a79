// The instance lifecycle proven on real QEMU guests (TCG), through the whole stack: a real
// controller (SQLite) and one real agent whose STRATUS_LIBVIRT_URI is a private libvirtd. The
// tiny guest images (scripts/qemu/build-guest-image.sh) are uploaded through the HTTP image API;
// instances are created and driven through the tRPC API only. What the guest prints on its serial
// console (boot counter kept on its own disk, ACPI handling, rescue view of the disks) is the
// proof that each action did to the guest what it claims.
//
// Boots: at most 2 at once (each costs ~10 CPU-seconds under TCG on this 2-core machine).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import type { ImageView } from "@/server/images/image-view";
import { eventually } from "../api-client";
import { query } from "../harness";
import { backingChain, COMPUTE_HOST, settled, startQemuStack, type QemuStack } from "./stack";

/** Short on purpose: the no-ACPI guest must fall back to a hard reboot (and a destroy) within the test. */
const SOFT_REBOOT_WAIT_SEC = 10;
const SHUTDOWN_TIMEOUT_SEC = 10;
const CACHE_PASS_SEC = 2;
const BOOT_TIMEOUT = 90_000;
const GiB = 1024 ** 3;

const BOOT = /^STRATUS-GUEST: boot (\d+)$/;
const BOOT_COMPLETE = /^STRATUS-GUEST: boot complete$/;

let stack: QemuStack;
let tiny: ImageView;
let noAcpiImage: ImageView;
let rescueImage: ImageView;
/** Instances: `acpi` (tiny.raw) drives most tests, `noacpi` ignores the power button, `other` shares acpi's base. */
const vm = { acpi: "", noacpi: "", other: "" };
/** The last boot number seen on each instance's console. */
const boots = new Map<string, number>();

const timings: Array<[string, number]> = [];
const record = (label: string, ms: number): void => void timings.push([label, ms]);

const view = (uuid: string): Promise<InstanceView> => stack.admin.server.get.query({ id: uuid });

function settle(uuid: string, status: string, timeoutMs = 120_000): Promise<InstanceView> {
  return settled(() => view(uuid), (v) => v.status === status, timeoutMs, `instance ${uuid} to become ${status}`);
}

type ActionEvent = Awaited<ReturnType<QemuStack["admin"]["server"]["actions"]["query"]>>[number]["events"][number];

/** The compute event of the action `requestId` started, once it has finished. */
async function finishedEvent(uuid: string, requestId: string, event: string): Promise<ActionEvent> {
  return eventually(
    async () => {
      const action = (await stack.admin.server.actions.query({ id: uuid })).find((a) => a.requestId === requestId);
      const e = action?.events.find((x) => x.event === event);
      return e?.finishTime ? e : undefined;
    },
    30_000,
    `${event} of ${requestId} to finish`,
  );
}

/** The log lines of one request from the controller's log store (the agent ships its records). */
async function requestLog(requestId: string, pattern: RegExp): Promise<string[]> {
  return eventually(
    async () => {
      const lines = (await stack.admin.log.search.query({ requestId, limit: 1000 })).map((r) => r.line);
      return lines.some((l) => pattern.test(l)) ? lines : undefined;
    },
    30_000,
    `a log line matching ${pattern} for ${requestId}`,
  );
}

/** Runs one action through the API and waits for its end state and its compute event. */
async function act(
  uuid: string,
  call: () => Promise<{ requestId: string }>,
  event: string,
  status: string,
  timeoutMs = 120_000,
): Promise<{ requestId: string; view: InstanceView; event: ActionEvent; ms: number }> {
  const started = Date.now();
  const { requestId } = await call();
  const v = await settle(uuid, status, timeoutMs);
  const ms = Date.now() - started;
  const e = await finishedEvent(uuid, requestId, event);
  expect(e).toMatchObject({ result: "Success", host: COMPUTE_HOST });
  return { requestId, view: v, event: e, ms };
}

/**
 * Waits for the next boot of the guest on its console after byte `since`: "boot N" must be the
 * instance's previous boot number + 1 (the counter lives on the instance's own disk), then
 * "boot complete". Returns the offset past "boot complete".
 */
async function nextBoot(uuid: string, since: number): Promise<{ boot: number; offset: number; ms: number }> {
  const started = Date.now();
  const consoleLog = stack.console(uuid);
  const line = await consoleLog.waitFor(BOOT, { since, timeoutMs: BOOT_TIMEOUT });
  const boot = Number(BOOT.exec(line.line)![1]);
  expect(boot).toBe((boots.get(uuid) ?? 0) + 1);
  boots.set(uuid, boot);
  const complete = await consoleLog.waitFor(BOOT_COMPLETE, { since: line.offset, timeoutMs: BOOT_TIMEOUT });
  return { boot, offset: complete.offset, ms: Date.now() - started };
}

/** Lines of the agent's own output written after line `mark`. */
function agentLinesSince(mark: number): string[] {
  return stack.agent.logs().split("\n").slice(mark);
}

async function waitForAgentLine(mark: number, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return eventually(async () => agentLinesSince(mark).find((l) => pattern.test(l)), timeoutMs, `an agent log line matching ${pattern}`);
}

const agentLineCount = (): number => stack.agent.logs().split("\n").length;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function createInstance(name: string, image: ImageView): Promise<{ uuid: string; requestId: string; started: number }> {
  const started = Date.now();
  const { requestId, instances } = await stack.admin.server.create.mutate({ name, flavorId: "1", imageId: image.id, count: 1 });
  return { uuid: instances[0]!.uuid, requestId, started };
}

/** `virsh domblklist`: "<target> <source>" per disk, in order. */
async function blockDevices(domain: string): Promise<string[]> {
  return (await stack.host.virsh(["domblklist", domain])).split("\n").map((l) => l.trim().split(/\s+/).join(" ")).filter(Boolean);
}

async function domainNames(): Promise<string[]> {
  return (await stack.host.virsh(["list", "--all", "--name"])).split("\n").filter(Boolean);
}

beforeAll(async () => {
  const started = Date.now();
  stack = await startQemuStack({
    agentEnv: {
      STRATUS_WAIT_SOFT_REBOOT_SECONDS: String(SOFT_REBOOT_WAIT_SEC),
      STRATUS_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_SEC),
      // The cache pass runs every 2 s and may remove any unused base at once: it must still
      // never take a base an instance uses.
      STRATUS_IMAGE_CACHE_INTERVAL: String(CACHE_PASS_SEC),
      STRATUS_REMOVE_UNUSED_ORIGINAL_MINIMUM_AGE_SECONDS: "0",
    },
  });
  for (const [label, ms] of stack.startup) record(`start: ${label}`, ms);
  record("start: total", Date.now() - started);
  const uploadStarted = Date.now();
  [tiny, noAcpiImage, rescueImage] = await Promise.all([
    stack.uploadImage("stratus-tiny", stack.images.tiny),
    stack.uploadImage("stratus-tiny-noacpi", stack.images.noAcpi),
    stack.uploadImage("stratus-rescue", stack.images.rescue),
  ]);
  record("upload 3 images (HTTP, sha256 checked)", Date.now() - uploadStarted);
}, 20 * 60_000);

afterAll(async () => {
  await stack?.stop();
  if (timings.length) {
    const width = Math.max(...timings.map(([label]) => label.length));
    process.stderr.write(`\nreal-QEMU lifecycle timings (ms):\n${timings.map(([l, ms]) => `  ${l.padEnd(width)} ${String(ms).padStart(6)}`).join("\n")}\n`);
  }
}, 180_000);

describe("real QEMU guests through the agent", () => {
  it("uploads the guest images through the image API, active with their sha256", () => {
    for (const [image, file] of [
      [tiny, stack.images.tiny],
      [noAcpiImage, stack.images.noAcpi],
      [rescueImage, stack.images.rescue],
    ] as const) {
      expect(image).toMatchObject({ status: "active", diskFormat: "raw", size: readFileSync(file).length });
      expect(image.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("builds two guests from the image cache: qcow2 overlays on raw bases, a TCG domain, booted", async () => {
    // The agent registered the real hypervisor.
    const [node] = await query<{ hypervisorType: string }>(stack.controller.databaseUrl, `SELECT "hypervisorType" FROM compute_nodes WHERE host = '${COMPUTE_HOST}'`);
    expect(node!.hypervisorType).toBe("QEMU");

    const [a, b] = await Promise.all([createInstance("acpi", tiny), createInstance("noacpi", noAcpiImage)]);
    vm.acpi = a.uuid;
    vm.noacpi = b.uuid;
    for (const c of [a, b]) {
      const v = await settle(c.uuid, "ACTIVE");
      expect(v).toMatchObject({ vmState: "active", powerState: 1, host: COMPUTE_HOST });
      record(`create → ACTIVE (${v.name}, image cache miss)`, Date.now() - c.started);
      const build = await finishedEvent(c.uuid, c.requestId, "compute__do_build_and_run_instance");
      // Two different images: both were fetched into the cache by this build.
      expect(build.details).toMatch(/^Build timings: image cache miss \d+ ms, overlay \d+ ms, define \d+ ms, start \d+ ms$/);
    }

    for (const [uuid, image] of [
      [vm.acpi, tiny],
      [vm.noacpi, noAcpiImage],
    ] as const) {
      // 1. The instance disk is a qcow2 overlay whose backing file is the raw base _base/<sha1(image id)>.
      const disk = path.join(stack.instanceDir(uuid), "disk");
      const [top, base, ...rest] = await backingChain(disk);
      expect(rest).toEqual([]);
      expect(top).toMatchObject({
        format: "qcow2",
        "virtual-size": 1 * GiB, // m1.tiny's root disk
        "full-backing-filename": stack.basePath(image.id),
        "backing-filename-format": "raw",
      });
      expect(path.basename(stack.basePath(image.id))).toMatch(/^[0-9a-f]{40}$/);
      expect(base).toMatchObject({ filename: stack.basePath(image.id), format: "raw", "virtual-size": image.size });

      // The domain libvirt runs is the TCG guest the agent defined.
      const xml = await stack.host.virsh(["dumpxml", stack.domain(uuid)]);
      expect(xml).toMatch(/<domain type='qemu' id='\d+'>/);
      expect(xml).toMatch(/<type arch='x86_64' machine='pc-i440fx-[\d.]+'>hvm<\/type>/);
      expect(xml).toMatch(/<tb-cache unit='KiB'>32768<\/tb-cache>/);
      expect(xml).toMatch(/<model fallback='\w+'>qemu64<\/model>/);
      expect(xml).toContain("<on_reboot>restart</on_reboot>");
      expect(xml).toContain("<acpi/>");
      expect(xml).toContain("<memory unit='KiB'>524288</memory>");
      expect(xml).toContain(`<source file='${disk}'`);
      expect(xml).toContain("<target dev='vda' bus='virtio'/>");
      expect(xml).toContain(`<source path='${path.join(stack.instanceDir(uuid), "console.log")}' append='on'/>`);
      expect(await stack.host.virsh(["domstate", stack.domain(uuid)])).toBe("running");
    }

    // 2. Both guests boot from their overlays: "boot 1", then "boot complete", on the console log.
    const [bootA, bootB] = await Promise.all([nextBoot(vm.acpi, 0), nextBoot(vm.noacpi, 0)]);
    record("create → boot complete (acpi, 2 booting at once)", Date.now() - a.started);
    record("create → boot complete (noacpi, 2 booting at once)", Date.now() - b.started);
    expect([bootA.boot, bootB.boot]).toEqual([1, 1]);
    const lines = await stack.console(vm.noacpi).lines();
    expect(lines.find((l) => l.startsWith("STRATUS-GUEST: init"))).toMatch(/mode=normal acpi=ignore/);
  });

  it("a second instance of a cached image is a cache hit on the same base", async () => {
    const c = await createInstance("other", tiny);
    vm.other = c.uuid;
    await settle(c.uuid, "ACTIVE");
    record("create → ACTIVE (other, image cache hit)", Date.now() - c.started);
    const build = await finishedEvent(c.uuid, c.requestId, "compute__do_build_and_run_instance");
    expect(build.details).toMatch(/^Build timings: image cache hit \d+ ms, overlay \d+ ms/);
    const [top] = await backingChain(path.join(stack.instanceDir(c.uuid), "disk"));
    expect(top!["full-backing-filename"]).toBe(stack.basePath(tiny.id));
    const boot = await nextBoot(c.uuid, 0);
    expect(boot.boot).toBe(1);
    record("create → boot complete (other)", Date.now() - c.started);
  });

  it("soft reboot is honoured by the guest's ACPI handler: no fallback, boot 2", async () => {
    const uuid = vm.acpi;
    const consoleLog = stack.console(uuid);
    const mark = await consoleLog.size();
    const r = await act(uuid, () => stack.admin.server.reboot.mutate({ id: uuid, type: "SOFT" }), "compute_reboot_instance", "ACTIVE");
    expect(r.view).toMatchObject({ vmState: "active", powerState: 1 });
    record("soft reboot → ACTIVE (ACPI honoured)", r.ms);
    // The guest pressed its own power button handler, powered off, and was started again.
    const button = await consoleLog.waitFor(/^STRATUS-GUEST: ACPI power button -> poweroff$/, { since: mark, timeoutMs: 5_000 });
    const boot = await nextBoot(uuid, button.offset);
    expect(boot.boot).toBe(2);
    // No hard-reboot fallback: not in the event, not in the request's log.
    expect(r.event.details ?? "").not.toMatch(/hard reboot/i);
    const log = await requestLog(r.requestId, /Instance soft rebooted successfully/);
    expect(log.join("\n")).not.toMatch(/Trying hard reboot/);
  });

  it("soft reboot of a guest that ignores ACPI falls back to a hard reboot after the wait, and says so", async () => {
    const uuid = vm.noacpi;
    const consoleLog = stack.console(uuid);
    const mark = await consoleLog.size();
    const r = await act(uuid, () => stack.admin.server.reboot.mutate({ id: uuid, type: "SOFT" }), "compute_reboot_instance", "ACTIVE");
    record(`soft reboot → hard fallback → ACTIVE (wait ${SOFT_REBOOT_WAIT_SEC} s)`, r.ms);
    expect(r.ms).toBeGreaterThanOrEqual(SOFT_REBOOT_WAIT_SEC * 1000);
    const ignored = await consoleLog.waitFor(/^STRATUS-GUEST: ignoring ACPI power button$/, { since: mark, timeoutMs: 5_000 });
    const boot = await nextBoot(uuid, ignored.offset);
    expect(boot.boot).toBe(2);
    expect(r.event.details).toBe(`Soft reboot failed: the guest did not shut down within ${SOFT_REBOOT_WAIT_SEC} s; fell back to a hard reboot.`);
    const log = await requestLog(r.requestId, /Trying hard reboot/);
    expect(log.join("\n")).toContain(`Failed to soft reboot instance (the guest did not shut down within ${SOFT_REBOOT_WAIT_SEC} s). Trying hard reboot.`);
    expect(log.join("\n")).toContain("Instance rebooted successfully.");
  });

  it("stop of a guest that ignores ACPI powers it off after the shutdown timeout, and says so", async () => {
    const uuid = vm.noacpi;
    const consoleLog = stack.console(uuid);
    const mark = await consoleLog.size();
    const stop = await act(uuid, () => stack.admin.server.stop.mutate({ id: uuid }), "compute_stop_instance", "SHUTOFF");
    record(`stop → destroyed after shutdown timeout → SHUTOFF (${SHUTDOWN_TIMEOUT_SEC} s)`, stop.ms);
    expect(stop.ms).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_SEC * 1000);
    expect(stop.view).toMatchObject({ vmState: "stopped", powerState: 4 });
    expect(await stack.host.virsh(["domstate", "--reason", stack.domain(uuid)])).toBe("shut off (destroyed)");
    expect(await consoleLog.lines(mark)).toContain("STRATUS-GUEST: ignoring ACPI power button");
    expect(stop.event.details).toBe(`The guest ignored the ACPI shutdown for ${SHUTDOWN_TIMEOUT_SEC} s and was powered off.`);
  });

  it("hard reboot boots the next number; stop powers off through ACPI; start boots again", async () => {
    const uuid = vm.acpi;
    const consoleLog = stack.console(uuid);
    const domain = stack.domain(uuid);

    let mark = await consoleLog.size();
    const hard = await act(uuid, () => stack.admin.server.reboot.mutate({ id: uuid, type: "HARD" }), "compute_reboot_instance", "ACTIVE");
    record("hard reboot → ACTIVE", hard.ms);
    expect((await nextBoot(uuid, mark)).boot).toBe(3);
    // A hard reboot destroys the guest: it never saw a power button.
    expect(await consoleLog.lines(mark)).not.toContain("STRATUS-GUEST: ACPI power button -> poweroff");

    mark = await consoleLog.size();
    const stop = await act(uuid, () => stack.admin.server.stop.mutate({ id: uuid }), "compute_stop_instance", "SHUTOFF");
    record("stop → SHUTOFF (ACPI)", stop.ms);
    expect(stop.view).toMatchObject({ vmState: "stopped", powerState: 4 });
    expect(await stack.host.virsh(["domstate", "--reason", domain])).toBe("shut off (shutdown)");
    expect(await consoleLog.lines(mark)).toContain("STRATUS-GUEST: ACPI power button -> poweroff");
    expect(stop.event.details ?? "").not.toMatch(/powered off/);

    mark = await consoleLog.size();
    const start = await act(uuid, () => stack.admin.server.start.mutate({ id: uuid }), "compute_start_instance", "ACTIVE");
    record("start → ACTIVE", start.ms);
    expect(start.view).toMatchObject({ vmState: "active", powerState: 1 });
    expect((await nextBoot(uuid, mark)).boot).toBe(4);
  });

  it("pause stops the vCPUs (libvirt paused) and unpause resumes them", async () => {
    const uuid = vm.acpi;
    const consoleLog = stack.console(uuid);
    const domain = stack.domain(uuid);
    const pause = await act(uuid, () => stack.admin.server.pause.mutate({ id: uuid }), "compute_pause_instance", "PAUSED");
    record("pause → PAUSED", pause.ms);
    expect(pause.view).toMatchObject({ vmState: "paused", powerState: 3 });
    expect(await stack.host.virsh(["domstate", "--reason", domain])).toBe("paused (user)");
    // A heartbeat every 3 s while running; none while paused.
    const mark = await consoleLog.size();
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await consoleLog.lines(mark)).toEqual([]);

    const unpause = await act(uuid, () => stack.admin.server.unpause.mutate({ id: uuid }), "compute_unpause_instance", "ACTIVE");
    record("unpause → ACTIVE", unpause.ms);
    expect(await stack.host.virsh(["domstate", domain])).toBe("running");
    await consoleLog.waitFor(/^STRATUS-GUEST: heartbeat uptime=/, { since: mark, timeoutMs: 10_000 });
    expect(await consoleLog.lines(mark)).not.toContainEqual(expect.stringMatching(BOOT));
  });

  it("suspend saves the guest's memory (managed save); resume restores it without a boot", async () => {
    const uuid = vm.acpi;
    const consoleLog = stack.console(uuid);
    const domain = stack.domain(uuid);
    const uptime = (line: string): number => Number(/uptime=([\d.]+)s/.exec(line)![1]);
    const before = await consoleLog.waitFor(/^STRATUS-GUEST: heartbeat uptime=/, { since: await consoleLog.size(), timeoutMs: 10_000 });

    const suspend = await act(uuid, () => stack.admin.server.suspend.mutate({ id: uuid }), "compute_suspend_instance", "SUSPENDED");
    record("suspend (managedsave) → SUSPENDED", suspend.ms);
    expect(suspend.view).toMatchObject({ vmState: "suspended", powerState: 4 });
    expect(await stack.host.virsh(["domstate", "--reason", domain])).toBe("shut off (saved)");
    expect(await stack.host.virsh(["dominfo", domain])).toMatch(/Managed save:\s+yes/);

    const mark = await consoleLog.size();
    const resume = await act(uuid, () => stack.admin.server.resume.mutate({ id: uuid }), "compute_resume_instance", "ACTIVE");
    record("resume → ACTIVE", resume.ms);
    expect(resume.view).toMatchObject({ vmState: "active", powerState: 1 });
    expect(await stack.host.virsh(["domstate", "--reason", domain])).toBe("running (restored)");
    // The same guest carries on: its uptime continues and it did not boot again.
    const after = await consoleLog.waitFor(/^STRATUS-GUEST: heartbeat uptime=/, { since: mark, timeoutMs: 15_000 });
    expect(uptime(after.line)).toBeGreaterThan(uptime(before.line));
    const lines = await consoleLog.lines(mark);
    expect(lines).not.toContainEqual(expect.stringMatching(BOOT));
    expect(lines).not.toContainEqual(expect.stringMatching(/^STRATUS-GUEST: init /));
  });

  it("rescue boots the rescue image with the instance's disk second; unrescue boots the original again", async () => {
    const uuid = vm.acpi;
    const consoleLog = stack.console(uuid);
    const domain = stack.domain(uuid);
    const dir = stack.instanceDir(uuid);
    const original = await stack.host.virsh(["dumpxml", "--inactive", domain]);

    let mark = await consoleLog.size();
    const rescue = await act(uuid, () => stack.admin.server.rescue.mutate({ id: uuid, imageId: rescueImage.id }), "compute_rescue_instance", "RESCUE");
    record("rescue → RESCUE", rescue.ms);
    expect(rescue.view).toMatchObject({ vmState: "rescued", powerState: 1 });
    expect(await blockDevices(domain)).toEqual([`vda ${path.join(dir, "disk.rescue")}`, `vdb ${path.join(dir, "disk")}`]);
    const [rescueTop] = await backingChain(path.join(dir, "disk.rescue"));
    expect(rescueTop!["full-backing-filename"]).toBe(stack.basePath(rescueImage.id));
    expect(existsSync(path.join(dir, "unrescue.xml"))).toBe(true);

    // The rescue guest sees its own disk as vda and the instance's disk as vdb, whose boot counter
    // is the instance's (4 boots so far): the original disk, attached second.
    const seen = await consoleLog.waitFor(/^STRATUS-GUEST: rescue boot$/, { since: mark, timeoutMs: BOOT_TIMEOUT });
    await consoleLog.waitFor(BOOT_COMPLETE, { since: seen.offset, timeoutMs: BOOT_TIMEOUT });
    const lines = await consoleLog.lines(mark);
    expect(lines).toContain("STRATUS-GUEST: block devices: vda vdb");
    expect(lines).toContain(`STRATUS-GUEST: disk vdb size=1024MiB boot-count=${boots.get(uuid)}`);
    expect(boots.get(uuid)).toBeGreaterThan(0);
    expect(lines).toContain("STRATUS-GUEST: disk vda size=48MiB boot-count=0");
    expect(lines).not.toContainEqual(expect.stringMatching(BOOT));

    mark = await consoleLog.size();
    const agentMark = agentLineCount();
    const unrescue = await act(uuid, () => stack.admin.server.unrescue.mutate({ id: uuid }), "compute_unrescue_instance", "ACTIVE");
    record("unrescue → ACTIVE", unrescue.ms);
    expect((await nextBoot(uuid, mark)).boot).toBe(5);
    // The original definition, exactly; the rescue files are gone.
    expect(await stack.host.virsh(["dumpxml", "--inactive", domain])).toBe(original);
    expect(await blockDevices(domain)).toEqual([`vda ${path.join(dir, "disk")}`]);
    expect(existsSync(path.join(dir, "disk.rescue"))).toBe(false);
    expect(existsSync(path.join(dir, "unrescue.xml"))).toBe(false);

    // The rescue image's base is now used by no disk: the cache pass (minimum age 0) removes it,
    // and keeps the bases the instances' disks use.
    const rescueBase = stack.basePath(rescueImage.id);
    await waitForAgentLine(agentMark, new RegExp(`Removing base or swap file: ${escape(rescueBase)}$`));
    expect(existsSync(rescueBase)).toBe(false);
    expect(existsSync(stack.basePath(tiny.id))).toBe(true);
    expect(existsSync(stack.basePath(noAcpiImage.id))).toBe(true);
  });

  it("delete removes the domain and the instance dir, and keeps the base another instance uses", async () => {
    const uuid = vm.acpi;
    const domain = stack.domain(uuid);
    const tinyBase = stack.basePath(tiny.id);
    expect(await domainNames()).toContain(domain);

    const started = Date.now();
    await stack.admin.server.delete.mutate({ id: uuid });
    await eventually(
      async () => {
        const [row] = await query<{ deletedAt: unknown }>(stack.controller.databaseUrl, `SELECT "deletedAt" FROM instances WHERE uuid = '${uuid}'`);
        return row?.deletedAt ? true : undefined;
      },
      60_000,
      "the instance to be deleted",
    );
    record("delete → deleted", Date.now() - started);
    expect(await domainNames()).not.toContain(domain);
    expect(existsSync(stack.instanceDir(uuid))).toBe(false);

    // Passes after the delete still see `other` on the tiny base and keep it.
    const mark = agentLineCount();
    await waitForAgentLine(mark, new RegExp(`Active base files: .*${escape(tinyBase)}`));
    await waitForAgentLine(agentLineCount(), /Active base files: /);
    expect(existsSync(tinyBase)).toBe(true);
    expect(agentLinesSince(mark).join("\n")).not.toContain(`Removing base or swap file: ${tinyBase}`);
    // `other` still boots from it.
    expect(await stack.host.virsh(["domstate", stack.domain(vm.other)])).toBe("running");
  });

  it("once no instance uses a base, the cache pass removes it", async () => {
    const mark = agentLineCount();
    await Promise.all([stack.admin.server.delete.mutate({ id: vm.other }), stack.admin.server.delete.mutate({ id: vm.noacpi })]);
    for (const base of [stack.basePath(tiny.id), stack.basePath(noAcpiImage.id)]) {
      await waitForAgentLine(mark, new RegExp(`Removing base or swap file: ${escape(base)}$`), 60_000);
      expect(existsSync(base)).toBe(false);
    }
    expect(await domainNames()).toEqual([]);
  });
});
