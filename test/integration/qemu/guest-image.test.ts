// The real-QEMU proof infrastructure, end to end: the tiny guest images build (and are cached),
// two private libvirt hosts run at once, and a TCG guest does what the lifecycle tests rely on:
// boot counter on its own disk, ACPI shutdown honoured (or ignored by the no-ACPI image), hard
// reset, soft reboot, and a rescue boot that sees the instance disk attached second.
// Runs for real on every `npm test`: the harness installs the Debian packages it needs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bootAndWaitFor,
  ConsoleLog,
  ensureGuestImages,
  guestDomainXml,
  prepareInstance,
  virsh,
  waitForDomainState,
  type GuestImages,
  type InstanceFiles,
  type LibvirtHost,
  startLibvirtHost,
} from "./harness";
import { repoRoot } from "../harness/paths";

const BOOT_TIMEOUT = 90_000;
const timings: Array<[string, number]> = [];
const timed = <T>(label: string, started: number, value: T): T => {
  timings.push([label, Date.now() - started]);
  return value;
};

describe("real QEMU guests on private libvirt hosts", () => {
  let images: GuestImages;
  let hostA: LibvirtHost | undefined;
  let hostB: LibvirtHost | undefined;
  let inst1: InstanceFiles;

  beforeAll(async () => {
    // First run on a fresh machine: package install + image build; afterwards a cache check.
    images = timed("ensureGuestImages (packages + image build/cache)", Date.now(), await ensureGuestImages());
    const started = Date.now();
    [hostA, hostB] = await Promise.all([startLibvirtHost("hostA"), startLibvirtHost("hostB")]);
    timed("start hostA + hostB (in parallel)", started, undefined);
  }, 20 * 60_000);

  afterAll(async () => {
    await Promise.allSettled([hostA?.stop(), hostB?.stop()]);
    const width = Math.max(...timings.map(([label]) => label.length));
    process.stderr.write(`\nreal-QEMU timings (ms):\n${timings.map(([l, ms]) => `  ${l.padEnd(width)} ${String(ms).padStart(6)}`).join("\n")}\n`);
  }, 120_000);

  it("builds tiny, tiny-noacpi and rescue images, and a second build is a cache hit", () => {
    for (const image of [images.tiny, images.noAcpi, images.rescue]) {
      // A whole-disk FAT with SYSLINUX: the boot sector ends in 55 AA.
      const bootSector = readFileSync(image).subarray(0, 512);
      expect(bootSector.readUInt16LE(510), image).toBe(0xaa55);
    }
    const started = Date.now();
    const output = execFileSync("bash", [path.join(repoRoot, "scripts/qemu/build-guest-image.sh"), path.dirname(images.tiny)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const ms = timed("build-guest-image.sh again (cache hit)", started, Date.now() - started);
    expect(output).toBe("");
    expect(ms).toBeLessThan(5_000);
  });

  it("runs two hosts at once, each with its own host UUID and TCP listener", async () => {
    expect(hostA!.hostUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(hostB!.hostUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(hostA!.hostUuid).not.toBe(hostB!.hostUuid);
    for (const host of [hostA!, hostB!]) {
      // The TCP endpoint reaches the same daemon as the unix socket (what p2p migration dials).
      const viaTcp = await virsh(host.tcpUri!, ["capabilities"]);
      expect(viaTcp).toContain(`<uuid>${host.hostUuid}</uuid>`);
      expect(await host.virsh(["list", "--all", "--name"])).toBe("");
    }
  });

  it("boots the tiny guest, powers off on ACPI shutdown, counts boots across stop/start and reboot", async () => {
    const host = hostA!;
    inst1 = await prepareInstance(host, "inst1", images.tiny);
    const xml = guestDomainXml({ name: "inst1", disk: inst1.disk, consolePath: inst1.console });
    const consoleLog = new ConsoleLog(inst1.console);

    const first = await bootAndWaitFor(host.uri, xml, inst1.console, /^STRATUS-GUEST: boot complete$/, BOOT_TIMEOUT);
    timings.push(["inst1 virsh start returned", first.startMs], ["inst1 first boot: start -> boot complete", first.elapsedMs]);
    expect(await consoleLog.lines()).toContain("STRATUS-GUEST: boot 1");

    // `virsh shutdown` presses the ACPI power button; the guest powers itself off.
    let mark = await consoleLog.size();
    let started = Date.now();
    await host.virsh(["shutdown", "inst1"]);
    await waitForDomainState(host.uri, "inst1", "shut off", 30_000);
    timed("inst1 virsh shutdown -> shut off", started, undefined);
    await consoleLog.waitFor(/^STRATUS-GUEST: ACPI power button -> poweroff$/, { since: mark, timeoutMs: 1_000 });
    expect(await host.virsh(["domstate", "--reason", "inst1"])).toBe("shut off (shutdown)");

    // Start again: the counter on the instance's own overlay says 2.
    mark = await consoleLog.size();
    const second = await bootAndWaitFor(host.uri, { name: "inst1" }, inst1.console, /^STRATUS-GUEST: boot complete$/, BOOT_TIMEOUT);
    timings.push(["inst1 second boot: start -> boot complete", second.elapsedMs]);
    expect(await consoleLog.lines(mark)).toContain("STRATUS-GUEST: boot 2");

    // Soft reboot (ACPI + libvirt's fake reboot): powers off, libvirt restarts it, boot 3.
    mark = await consoleLog.size();
    started = Date.now();
    await host.virsh(["reboot", "inst1"]);
    await consoleLog.waitFor(/^STRATUS-GUEST: boot 3$/, { since: mark, timeoutMs: BOOT_TIMEOUT });
    await consoleLog.waitFor(/^STRATUS-GUEST: boot complete$/, { since: mark, timeoutMs: BOOT_TIMEOUT });
    timed("inst1 virsh reboot -> boot complete", started, undefined);
    expect(await host.virsh(["domstate", "inst1"])).toBe("running");
  });

  it("ignores ACPI shutdown with the no-ACPI image until a hard reset", async () => {
    const host = hostB!;
    const inst = await prepareInstance(host, "inst2", images.noAcpi);
    const xml = guestDomainXml({ name: "inst2", disk: inst.disk, consolePath: inst.console });
    const consoleLog = new ConsoleLog(inst.console);
    const boot = await bootAndWaitFor(host.uri, xml, inst.console, /^STRATUS-GUEST: boot complete$/, BOOT_TIMEOUT);
    timings.push(["inst2 (no-ACPI) start -> boot complete", boot.elapsedMs]);

    let mark = await consoleLog.size();
    await host.virsh(["shutdown", "inst2"]);
    await consoleLog.waitFor(/^STRATUS-GUEST: ignoring ACPI power button$/, { since: mark, timeoutMs: 10_000 });
    // 10 s later the guest is still running and still beating (a heartbeat every 3 s).
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await host.virsh(["domstate", "inst2"])).toBe("running");
    await consoleLog.waitFor(/^STRATUS-GUEST: heartbeat uptime=/, { since: await consoleLog.size(), timeoutMs: 6_000 });

    mark = await consoleLog.size();
    const started = Date.now();
    await host.virsh(["reset", "inst2"]);
    await consoleLog.waitFor(/^STRATUS-GUEST: boot 2$/, { since: mark, timeoutMs: BOOT_TIMEOUT });
    await consoleLog.waitFor(/^STRATUS-GUEST: boot complete$/, { since: mark, timeoutMs: BOOT_TIMEOUT });
    timed("inst2 virsh reset -> boot complete", started, undefined);
    const started2 = Date.now();
    await host.virsh(["destroy", "inst2"]);
    timed("inst2 virsh destroy", started2, undefined);
  });

  it("boots the rescue image with the instance disk attached second", async () => {
    const host = hostA!;
    await host.virsh(["destroy", "inst1"]); // its disk must not be in use by two guests
    const rescue = await prepareInstance(host, "inst1-rescue", images.rescue);
    const xml = guestDomainXml({ name: "inst1-rescue", disk: rescue.disk, extraDisks: [inst1.disk], consolePath: rescue.console });
    const boot = await bootAndWaitFor(host.uri, xml, rescue.console, /^STRATUS-GUEST: boot complete$/, BOOT_TIMEOUT);
    timings.push(["rescue start -> boot complete", boot.elapsedMs]);
    const lines = await new ConsoleLog(rescue.console).lines();
    expect(lines).toContain("STRATUS-GUEST: rescue boot");
    expect(lines).toContain("STRATUS-GUEST: block devices: vda vdb");
    // vdb is inst1's own disk: its counter (3 boots) proves which disk the rescue guest sees.
    expect(lines).toContain("STRATUS-GUEST: disk vdb size=1024MiB boot-count=3");
    expect(lines).toContain("STRATUS-GUEST: disk vda size=1024MiB boot-count=0");
  });
});
