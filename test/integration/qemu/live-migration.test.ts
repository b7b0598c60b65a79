// Live migration of real TCG guests between two compute hosts on this machine, each its own
// libvirtd and agent; libvirt moves the guest peer to peer and copies its disk into an overlay the
// destination made on its own cached base image. The guest prints a heartbeat with its uptime every
// 3 s: on the destination the heartbeats go on with a larger uptime and no boot line, which proves
// the guest kept running. A busy guest (64 MiB rewritten without pause) never converges under the
// 16 MiB/s cap these agents have, which makes Abort and the completion timeout testable. Last, the
// controller is killed mid-migration and started again: the move is settled from where libvirt left it.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceView } from "@/lib/instance-view";
import type { ImageView } from "@/server/images/image-view";
import { query } from "../harness";
import { COMPUTE_HOST, settled, startQemuStack, type QemuCompute, type QemuStack } from "./stack";

const PEER = "compute-qemu-live";
const HEARTBEAT = /^STRATUS-GUEST: heartbeat uptime=([\d.]+)s$/;
const BOOT_TIMEOUT = 90_000;
// 4 GiB counted for m1.tiny (memory and disk each at least 2 GiB) × 5 s: 20 s.
const COMPLETION_TIMEOUT_PER_GIB = 5;

let stack: QemuStack;
let tiny: ImageView;
let busy: ImageView;
const timings: Array<[string, number]> = [];

const get = (uuid: string) => () => stack.admin.server.get.query({ id: uuid });
const settle = (uuid: string, done: (v: InstanceView) => boolean, what: string) => settled<InstanceView>(get(uuid), done, 180_000, what);

function computeOf(host: string | null): QemuCompute {
  const c = stack.computes.find((x) => x.name === host);
  if (!c) throw new Error(`no compute host ${host}`);
  return c;
}
const otherThan = (host: string | null) => computeOf(host === COMPUTE_HOST ? PEER : COMPUTE_HOST);

/** The next heartbeat on `c`'s console of the instance after byte `since`: its uptime in seconds. */
async function heartbeat(c: QemuCompute, uuid: string, since = 0): Promise<{ uptime: number; offset: number }> {
  const m = await c.console(uuid).waitFor(HEARTBEAT, { since, timeoutMs: BOOT_TIMEOUT });
  return { uptime: Number(HEARTBEAT.exec(m.line)![1]), offset: m.offset };
}

async function domainNames(c: QemuCompute): Promise<string[]> {
  return (await c.host.virsh(["list", "--all", "--name"])).split("\n").filter(Boolean);
}

async function allocations(uuid: string): Promise<Array<{ consumerId: string; host: string }>> {
  return query<{ consumerId: string; host: string }>(
    stack.controller.databaseUrl,
    `SELECT a."consumerId", n.host FROM allocations a JOIN compute_nodes n ON n.id = a."nodeId" WHERE a."instanceUuid" = '${uuid}' ORDER BY n.host`,
  );
}

async function latestMigration(uuid: string) {
  const [m] = await stack.admin.server.migrations.query({ id: uuid });
  if (!m) throw new Error(`no migration of ${uuid}`);
  return m;
}

async function launch(name: string, image: ImageView): Promise<InstanceView> {
  const { instances } = await stack.admin.server.create.mutate({ name, flavorId: "1", imageId: image.id, count: 1 });
  return settle(instances[0]!.uuid, (v) => v.status === "ACTIVE", `${name} to become ACTIVE`);
}

beforeAll(async () => {
  stack = await startQemuStack({
    peerHosts: [PEER],
    agentEnv: { STRATUS_LIVE_MIGRATION_BANDWIDTH: "16" },
    controllerEnv: { STRATUS_LIVE_MIGRATION_COMPLETION_TIMEOUT: String(COMPLETION_TIMEOUT_PER_GIB), STRATUS_LIVE_MIGRATION_TIMEOUT_ACTION: "force_complete" },
  });
  tiny = await stack.uploadImage("stratus-tiny-live", stack.images.tiny);
  busy = await stack.uploadImage("stratus-tiny-busy", stack.images.busy);
}, 20 * 60_000);

afterAll(async () => {
  await stack?.stop();
  if (timings.length) process.stderr.write(`\nreal-QEMU live migration timings (ms):\n${timings.map(([l, ms]) => `  ${l.padEnd(44)} ${String(ms).padStart(6)}`).join("\n")}\n`);
}, 180_000);

describe("live migration of real QEMU guests between two libvirt hosts", () => {
  it("moves a running guest with its memory and disk: it keeps running, with progress on the way", async () => {
    const vm = await launch("wanderer", tiny);
    const source = computeOf(vm.host);
    const dest = otherThan(vm.host);
    const before = await heartbeat(source, vm.uuid);

    const started = Date.now();
    await stack.admin.server.liveMigrate.mutate({ id: vm.uuid });
    // The source agent streams libvirt's figures while the memory moves (16 MiB/s cap: seconds).
    const running = await expectEventually(async () => {
      const m = await latestMigration(vm.uuid);
      return m.status === "running" && (m.memoryProcessed ?? 0) > 0 ? m : null;
    }, 60_000);
    expect(running).toMatchObject({ type: "live-migration", sourceCompute: source.name, destCompute: dest.name });
    expect(running.memoryTotal).toBeGreaterThanOrEqual(512 * 1024 * 1024);
    expect(running.bytesPerSecond).toBeGreaterThan(0);

    const moved = await settle(vm.uuid, (v) => v.host === dest.name, "the instance to land on the destination");
    timings.push(["live migrate (16 MiB/s cap) → ACTIVE on dest", Date.now() - started]);
    expect(moved).toMatchObject({ status: "ACTIVE", powerState: 1, taskState: null });
    const done = await latestMigration(vm.uuid);
    expect(done).toMatchObject({ status: "completed", forced: false, memoryRemaining: 0 });
    expect(done.downtimeMs).toBeGreaterThanOrEqual(0);

    // The same guest, still up: heartbeats go on past the uptime it had, and it never booted again.
    const after = await heartbeat(dest, vm.uuid);
    expect(after.uptime).toBeGreaterThan(before.uptime);
    expect(await dest.console(vm.uuid).text()).not.toMatch(/STRATUS-GUEST: (init|boot \d)/);
    expect(await dest.host.virsh(["domstate", stack.domain(vm.uuid)])).toBe("running");
    // Persistent there (a cold boot would find it), gone from the source with its files.
    expect(await dest.host.virsh(["dominfo", stack.domain(vm.uuid)])).toMatch(/Persistent:\s+yes/);
    await expect.poll(() => domainNames(source), { timeout: 30_000 }).not.toContain(stack.domain(vm.uuid));
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: dest.name }]);

    const actions = await stack.admin.server.actions.query({ id: vm.uuid });
    const live = actions.find((a) => a.action === "live-migration");
    expect(live?.message).toBeNull();
    expect(live?.events.map((e) => e.event)).toEqual(
      expect.arrayContaining(["conductor_live_migrate_instance", "compute_pre_live_migration", "compute_live_migration", "compute_post_live_migration_at_destination"]),
    );
    await stack.admin.server.delete.mutate({ id: vm.uuid });
  });

  it("aborts a migration that cannot converge: the guest runs on at the source, the destination is cleaned", async () => {
    const vm = await launch("busybody", busy);
    const source = computeOf(vm.host);
    const dest = otherThan(vm.host);
    await source.console(vm.uuid).waitFor(/busy: rewriting 64 MiB/, { timeoutMs: BOOT_TIMEOUT });
    await stack.admin.server.liveMigrate.mutate({ id: vm.uuid });
    await expectEventually(async () => ((await latestMigration(vm.uuid)).memoryProcessed ?? 0) > 0, 60_000);
    const offset = await source.console(vm.uuid).size();

    await stack.admin.server.liveMigrateAbort.mutate({ id: vm.uuid });
    const back = await settle(vm.uuid, (v) => v.status === "ACTIVE", "the aborted migration to roll back");
    expect(back).toMatchObject({ host: source.name, powerState: 1 });
    expect(await latestMigration(vm.uuid)).toMatchObject({ status: "cancelled" });
    // Still the same guest on the source, still running.
    await heartbeat(source, vm.uuid, offset);
    expect(await source.host.virsh(["domstate", stack.domain(vm.uuid)])).toBe("running");
    await expect.poll(() => domainNames(dest), { timeout: 30_000 }).not.toContain(stack.domain(vm.uuid));
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: source.name }]);
    const actions = await stack.admin.server.actions.query({ id: vm.uuid });
    expect(actions.find((a) => a.action === "live-migration")?.events.find((e) => e.event === "conductor_live_migrate_instance")).toMatchObject({
      result: "Error",
      details: expect.stringMatching(/cancelled: aborted by an operator/),
    });
    expect(actions.some((a) => a.action === "live_migration_cancel")).toBe(true);
  });

  it("forces completion when the completion timeout passes: the guest is paused to converge, then runs on the destination", async () => {
    const [vm] = await stack.admin.server.list.query({}).then((r) => r.items.filter((i) => i.name === "busybody"));
    expect(vm).toBeDefined();
    const source = computeOf(vm!.host);
    const dest = otherThan(vm!.host);
    const before = await heartbeat(source, vm!.uuid, await source.console(vm!.uuid).size());
    const started = Date.now();
    await stack.admin.server.liveMigrate.mutate({ id: vm!.uuid });
    const moved = await settle(vm!.uuid, (v) => v.host === dest.name, "the forced migration to complete");
    timings.push(["busy guest: timeout (20 s) → forced → dest", Date.now() - started]);
    expect(moved).toMatchObject({ status: "ACTIVE", powerState: 1 });
    expect(await latestMigration(vm!.uuid)).toMatchObject({ status: "completed", forced: true });
    // Resumed on the destination: it goes on where it was paused.
    const after = await heartbeat(dest, vm!.uuid);
    expect(after.uptime).toBeGreaterThan(before.uptime);
    expect(await dest.host.virsh(["domstate", stack.domain(vm!.uuid)])).toBe("running");
    await stack.admin.server.delete.mutate({ id: vm!.uuid });
  });
});

describe("a controller restart in the middle of a live migration", () => {
  // The restarted controller looks for migrations without a conductor every second, and the moves
  // it starts have no completion timeout: only the restart decides how each one ends.
  const env = { STRATUS_TASK_DEADLINE_INTERVAL: "1", STRATUS_LIVE_MIGRATION_COMPLETION_TIMEOUT: "0" };
  beforeAll(() => stack.restartController({ env }), 180_000);

  async function conductorEvent(uuid: string) {
    const actions = await stack.admin.server.actions.query({ id: uuid });
    return actions.find((a) => a.action === "live-migration")?.events.find((e) => e.event === "conductor_live_migrate_instance");
  }

  it("completes a move libvirt finished while no conductor listened: the instance follows its guest", async () => {
    const vm = await launch("orphan-landed", tiny);
    const source = computeOf(vm.host);
    const dest = otherThan(vm.host);
    const before = await heartbeat(source, vm.uuid);
    await stack.admin.server.liveMigrate.mutate({ id: vm.uuid });
    await expectEventually(async () => (await latestMigration(vm.uuid)).status === "running", 60_000);

    await stack.restartController({
      env,
      // Meanwhile libvirt finishes on its own: the guest runs on the destination, the source undefined it.
      whileDown: async () => {
        await expect.poll(() => domainNames(source), { timeout: 60_000 }).not.toContain(stack.domain(vm.uuid));
        expect(await dest.host.virsh(["domstate", stack.domain(vm.uuid)])).toBe("running");
      },
    });
    // The destination's agent came back to a database that still places the guest on the source:
    // the move in flight keeps its domain from being reaped until the conductor settles it.
    const moved = await settle(vm.uuid, (v) => v.host === dest.name, "the restarted controller to complete the move");
    expect(moved).toMatchObject({ status: "ACTIVE", powerState: 1 });
    expect(await latestMigration(vm.uuid)).toMatchObject({ status: "completed" });
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: dest.name }]);
    expect(await conductorEvent(vm.uuid)).toMatchObject({ result: "Success", details: expect.stringMatching(/^Live-migrated from /) });
    // The same guest runs on, and the source's files are gone.
    expect((await heartbeat(dest, vm.uuid)).uptime).toBeGreaterThan(before.uptime);
    await expect.poll(() => existsSync(source.instanceDir(vm.uuid)), { timeout: 30_000 }).toBe(false);
    await stack.admin.server.delete.mutate({ id: vm.uuid });
  });

  it("aborts a move still under way: the guest runs on at the source, the destination is cleaned", async () => {
    const vm = await launch("orphan-busy", busy);
    const source = computeOf(vm.host);
    const dest = otherThan(vm.host);
    await source.console(vm.uuid).waitFor(/busy: rewriting 64 MiB/, { timeoutMs: BOOT_TIMEOUT });
    await stack.admin.server.liveMigrate.mutate({ id: vm.uuid });
    await expectEventually(async () => ((await latestMigration(vm.uuid)).memoryProcessed ?? 0) > 0, 60_000);

    // The busy guest never converges under the cap: libvirt is still copying when the controller is back.
    await stack.restartController({ env });
    const offset = await source.console(vm.uuid).size();
    const back = await settle(vm.uuid, (v) => v.status === "ACTIVE", "the restarted controller to roll the move back");
    expect(back).toMatchObject({ host: source.name, powerState: 1 });
    expect(await latestMigration(vm.uuid)).toMatchObject({ status: "error" });
    expect(await allocations(vm.uuid)).toEqual([{ consumerId: vm.uuid, host: source.name }]);
    expect(await conductorEvent(vm.uuid)).toMatchObject({
      result: "Error",
      details: expect.stringMatching(/conductor driving it \(.+\) went away while it was running/),
    });
    // Still the same guest, running on the source; nothing of it is left on the destination.
    await heartbeat(source, vm.uuid, offset);
    expect(await source.host.virsh(["domstate", stack.domain(vm.uuid)])).toBe("running");
    await expect.poll(() => domainNames(dest), { timeout: 30_000 }).not.toContain(stack.domain(vm.uuid));
    await expect.poll(() => existsSync(dest.instanceDir(vm.uuid)), { timeout: 30_000 }).toBe(false);
    await stack.admin.server.delete.mutate({ id: vm.uuid });
  });
});

async function expectEventually<T>(probe: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
