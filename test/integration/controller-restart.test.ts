// A controller killed and started again on the same database, with two agents on libvirt's test
// driver that reconnect by themselves (their back-off grows to 30 s). Requests that reach the new
// process before an agent is back wait for it, as a message waits in Nova's queue for its compute
// service, instead of failing on every host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login } from "./api-client";
import { restartController, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { settled } from "./move-helpers";

const HOSTS = ["compute-1", "compute-2"] as const;

let controller: Controller;
let agents: Agent[] = [];

beforeAll(async () => {
  controller = await startController({ agentHosts: [...HOSTS] });
  agents = HOSTS.map((host) => startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), env: { STRATUS_DISK_GB: "500" } }));
  await waitForHypervisors(controller.databaseUrl, [...HOSTS], 60_000, agents);
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("a controller restart", () => {
  it("builds what is asked before the agents are back, once they are", async () => {
    // The agents are frozen through the restart, so none is back when the request arrives.
    for (const a of agents) process.kill(-a.pid, "SIGSTOP");
    let created: { uuid: string }[];
    try {
      controller = await restartController(controller);
      const { api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password);
      const imageId = (await demo.image.list.query())[0]!.id;
      ({ instances: created } = await demo.server.create.mutate({ name: "after-restart", flavorId: "1", imageId, count: 2 }));
      await new Promise((r) => setTimeout(r, 2000));
      expect(controller.logs()).not.toMatch(/Agent for compute-\d connected/);
    } finally {
      for (const a of agents) process.kill(-a.pid, "SIGCONT");
    }
    const { api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password);
    for (const { uuid } of created) {
      // Before, every host failed at once ("Exhausted all hosts") and the build went to ERROR.
      expect(await settled(demo, uuid, (v) => v.status !== "BUILD", 90_000)).toMatchObject({ status: "ACTIVE", fault: null });
    }
    expect(controller.logs()).not.toMatch(/trying the next alternate/);
  });
});
