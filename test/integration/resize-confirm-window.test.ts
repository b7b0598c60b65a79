// STRATUS_RESIZE_CONFIRM_WINDOW (Nova's resize_confirm_window) on a real controller with two agents
// on libvirt's test driver: a resize nobody confirms is confirmed by the system once it has waited
// the window — destination kept, source cleaned, the source's claim freed — and the action log says
// so; a move the user reverts within the window is left alone.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { eventually, login, type ApiClient } from "./api-client";
import { allocations, memoryUsed, settled } from "./move-helpers";

const HOSTS = ["compute-1", "compute-2"] as const;
const WINDOW_SEC = 3;

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let imageId: string;

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS], env: { STRATUS_RESIZE_CONFIRM_WINDOW: String(WINDOW_SEC) } });
  agents = HOSTS.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), env: { STRATUS_DISK_GB: "2000", STRATUS_SHUTDOWN_TIMEOUT: "5" } }),
  );
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, agents);
  ({ api: admin } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

const instanceDir = (host: string, uuid: string) => path.join(agents[HOSTS.indexOf(host as (typeof HOSTS)[number])]!.stateDir, "instances", uuid);

async function createActive(name: string) {
  const { instances } = await demo.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  return settled(admin, instances[0]!.uuid, (v) => v.status === "ACTIVE");
}

describe("the resize confirm window", () => {
  it("confirms a resize left in VERIFY_RESIZE by itself, says so in the action log, and frees the source", async () => {
    const vm = await createActive("unattended");
    const source = vm.host!;
    const sourceUsed = await memoryUsed(controller.databaseUrl, source);

    await demo.server.resize.mutate({ id: vm.uuid, flavorId: "2" });
    const waiting = await eventually(async () => {
      const v = await demo.server.get.query({ id: vm.uuid });
      return v.status === "VERIFY_RESIZE" && v.autoConfirmAt ? v : undefined;
    }, 60_000, "VERIFY_RESIZE with its auto-confirm time");
    const [finished] = await admin.server.migrations.query({ id: vm.uuid });
    expect(finished).toMatchObject({ status: "finished" });
    // The deadline the dashboard shows is the one the pass keeps: the move's finish plus the window.
    expect(Date.parse(waiting.autoConfirmAt!) - finished!.updatedAt.getTime()).toBe(WINDOW_SEC * 1000);

    const confirmed = await settled(admin, vm.uuid, (v) => v.status === "ACTIVE", 30_000);
    expect(confirmed).toMatchObject({ host: other(source), flavorName: "m1.small", memoryMb: 2048, autoConfirmAt: null });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(waiting.autoConfirmAt!));
    await eventually(async () => ((await admin.server.migrations.query({ id: vm.uuid }))[0]!.status === "confirmed" ? true : undefined));
    expect(existsSync(instanceDir(source, vm.uuid))).toBe(false);
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: other(source), memoryMb: 2048 }]);
    expect(await memoryUsed(controller.databaseUrl, source)).toBe(sourceUsed - 512);

    // The owner sees a confirmResize they did not ask for, by the system, and why it happened.
    const auto = new RegExp(`^Confirmed automatically after \\d+ s in VERIFY_RESIZE \\(STRATUS_RESIZE_CONFIRM_WINDOW is ${WINDOW_SEC} s\\)`);
    const seen = await eventually(async () => {
      const a = (await demo.server.actions.query({ id: vm.uuid })).find((x) => x.action === "confirmResize");
      return a?.finishTime ? a : undefined;
    });
    expect(seen).toMatchObject({ userId: "stratus-conductor", message: expect.stringMatching(auto) });
    expect(seen.events.map((e) => [e.event, e.result])).toEqual(expect.arrayContaining([["conductor_confirm_resize", "Success"]]));
    // The admin also reads what the confirm did on the hosts.
    const confirm = (await admin.server.actions.query({ id: vm.uuid })).find((x) => x.action === "confirmResize")!;
    expect(confirm.events.find((e) => e.event === "conductor_confirm_resize")).toMatchObject({
      result: "Success",
      details: expect.stringMatching(new RegExp(`${auto.source}\\. Removed the instance from ${source}$`)),
    });
    expect(confirm.events.find((e) => e.event === "compute_confirm_resize")).toMatchObject({ result: "Success" });
    await admin.server.delete.mutate({ id: vm.uuid });
  });

  it("leaves a move the user reverted within the window alone", async () => {
    const vm = await createActive("reverted-in-time");
    await demo.server.resize.mutate({ id: vm.uuid, flavorId: "2" });
    await settled(demo, vm.uuid, (v) => v.status === "VERIFY_RESIZE");
    await demo.server.revertResize.mutate({ id: vm.uuid });
    expect(await settled(admin, vm.uuid, (v) => v.status === "ACTIVE")).toMatchObject({ host: vm.host, flavorName: "m1.tiny" });
    // Two windows later it is still reverted, and nothing was confirmed.
    await new Promise((r) => setTimeout(r, 2 * WINDOW_SEC * 1000));
    expect((await admin.server.migrations.query({ id: vm.uuid }))[0]).toMatchObject({ status: "reverted" });
    expect((await demo.server.actions.query({ id: vm.uuid })).map((a) => a.action)).not.toContain("confirmResize");
    expect(await allocations(controller.databaseUrl, vm.uuid)).toEqual([{ consumerId: vm.uuid, host: vm.host, memoryMb: 512 }]);
    await admin.server.delete.mutate({ id: vm.uuid });
  });
});

function other(host: string): string {
  return host === HOSTS[0] ? HOSTS[1] : HOSTS[0];
}
