// Cold migration and resize of real TCG guests between two compute hosts on this machine: each its
// own libvirtd (scripts/qemu/libvirtd.sh) and its own agent, the disk streamed from one agent to
// the other. The guest keeps a boot counter on its own disk, so the destination's console saying
// "boot N+1" proves the disk that arrived is the instance's, with what the guest wrote on it.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import type { ImageView } from "@/server/images/image-view";
import { backingChain, COMPUTE_HOST, settled, startQemuStack, type QemuCompute, type QemuStack } from "./stack";

const PEER = "compute-qemu-b";
const BOOT = /^STRATUS-GUEST: boot (\d+)$/;
const BOOT_COMPLETE = /^STRATUS-GUEST: boot complete$/;
const BOOT_TIMEOUT = 90_000;
const GiB = 1024 ** 3;

let stack: QemuStack;
let tiny: ImageView;
const timings: Array<[string, number]> = [];

function computeOf(host: string | null): QemuCompute {
  const c = stack.computes.find((x) => x.name === host);
  if (!c) throw new Error(`no compute host ${host}`);
  return c;
}

const get = (uuid: string) => () => stack.admin.server.get.query({ id: uuid });
const settle = (uuid: string, status: string) => settled<InstanceView>(get(uuid), (v) => v.status === status, 180_000, `${uuid} to become ${status}`);

/** The next "boot N" and "boot complete" on `host`'s console of the instance, after byte `since`. */
async function bootOn(c: QemuCompute, uuid: string, since = 0): Promise<{ boot: number; offset: number }> {
  const log = c.console(uuid);
  const line = await log.waitFor(BOOT, { since, timeoutMs: BOOT_TIMEOUT });
  const done = await log.waitFor(BOOT_COMPLETE, { since: line.offset, timeoutMs: BOOT_TIMEOUT });
  return { boot: Number(BOOT.exec(line.line)![1]), offset: done.offset };
}

async function domainNames(c: QemuCompute): Promise<string[]> {
  return (await c.host.virsh(["list", "--all", "--name"])).split("\n").filter(Boolean);
}

beforeAll(async () => {
  stack = await startQemuStack({ peerHosts: [PEER], agentEnv: { STRATUS_SHUTDOWN_TIMEOUT: "30" } });
  tiny = await stack.uploadImage("stratus-tiny-move", stack.images.tiny);
}, 20 * 60_000);

afterAll(async () => {
  await stack?.stop();
  if (timings.length) process.stderr.write(`\nreal-QEMU migration timings (ms):\n${timings.map(([l, ms]) => `  ${l.padEnd(44)} ${String(ms).padStart(6)}`).join("\n")}\n`);
}, 180_000);

describe("moving real QEMU guests between two libvirt hosts", () => {
  let uuid: string;
  let boots = 0;

  it("cold-migrates a running guest: its disk arrives, it boots on the destination, confirm cleans the source", async () => {
    const { instances } = await stack.admin.server.create.mutate({ name: "traveller", flavorId: "1", imageId: tiny.id, count: 1 });
    uuid = instances[0]!.uuid;
    const placed = await settle(uuid, "ACTIVE");
    const source = computeOf(placed.host);
    const dest = computeOf(placed.host === COMPUTE_HOST ? PEER : COMPUTE_HOST);
    boots = (await bootOn(source, uuid)).boot;
    expect(boots).toBe(1);

    const started = Date.now();
    await stack.admin.server.migrate.mutate({ id: uuid });
    const moved = await settle(uuid, "VERIFY_RESIZE");
    timings.push(["migrate → VERIFY_RESIZE (ACPI power-off, copy, boot)", Date.now() - started]);
    expect(moved).toMatchObject({ host: dest.name, powerState: 1, vmState: "resized" });
    // The source powered the guest off cleanly and still has it, defined and off, until confirm.
    expect(await source.host.virsh(["domstate", stack.domain(uuid)])).toBe("shut off");
    expect(await source.console(uuid).text()).toMatch(/ACPI power button -> poweroff/);

    // The destination runs it from the copied disk, now on its own cached base: the boot counter goes on.
    const next = await bootOn(dest, uuid);
    expect(next.boot).toBe(boots + 1);
    boots = next.boot;
    const [top, base] = await backingChain(path.join(dest.instanceDir(uuid), "disk"));
    expect(top).toMatchObject({ format: "qcow2", "virtual-size": 1 * GiB });
    expect(base!.filename).toBe(path.join(dest.host.instancesDir, "_base", path.basename(base!.filename as string)));
    expect(await dest.host.virsh(["domstate", stack.domain(uuid)])).toBe("running");

    await stack.admin.server.confirmResize.mutate({ id: uuid });
    await settle(uuid, "ACTIVE");
    await expect.poll(() => domainNames(source), { timeout: 30_000 }).not.toContain(stack.domain(uuid));
    expect(await dest.host.virsh(["domstate", stack.domain(uuid)])).toBe("running");
  });

  it("resizes to a bigger flavor (more memory, a grown disk) and reverts to the source exactly as it was", async () => {
    const before = await stack.admin.server.get.query({ id: uuid });
    const source = computeOf(before.host);
    const dest = computeOf(before.host === COMPUTE_HOST ? PEER : COMPUTE_HOST);
    const sourceOffset = await source.console(uuid).size();

    const started = Date.now();
    await stack.admin.server.resize.mutate({ id: uuid, flavorId: "2" });
    const resized = await settle(uuid, "VERIFY_RESIZE");
    timings.push(["resize → VERIFY_RESIZE", Date.now() - started]);
    expect(resized).toMatchObject({ host: dest.name, flavorName: "m1.small", memoryMb: 2048 });
    const onDest = await bootOn(dest, uuid);
    expect(onDest.boot).toBe(boots + 1);
    expect(await dest.host.virsh(["dumpxml", stack.domain(uuid)])).toContain("<memory unit='KiB'>2097152</memory>");
    const [top] = await backingChain(path.join(dest.instanceDir(uuid), "disk"));
    expect(top).toMatchObject({ "virtual-size": 20 * GiB });

    const revertStarted = Date.now();
    await stack.admin.server.revertResize.mutate({ id: uuid });
    const reverted = await settle(uuid, "ACTIVE");
    timings.push(["revert → ACTIVE on the source", Date.now() - revertStarted]);
    expect(reverted).toMatchObject({ host: source.name, flavorName: "m1.tiny", memoryMb: 512, powerState: 1 });
    // The source's own disk, untouched by the resize: its counter had not seen the boot on the destination.
    const back = await bootOn(source, uuid, sourceOffset);
    expect(back.boot).toBe(boots + 1);
    expect(await source.host.virsh(["dumpxml", stack.domain(uuid)])).toContain("<memory unit='KiB'>524288</memory>");
    const [sourceTop] = await backingChain(path.join(source.instanceDir(uuid), "disk"));
    expect(sourceTop).toMatchObject({ "virtual-size": 1 * GiB });
    await expect.poll(() => domainNames(dest), { timeout: 30_000 }).not.toContain(stack.domain(uuid));

    await stack.admin.server.delete.mutate({ id: uuid });
  });
});
