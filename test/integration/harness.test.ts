// The harness itself, end to end: a controller on a fresh database answers /api/health, an agent
// registers its hypervisor, a killed agent leaves no process behind, and the controller stops
// gracefully on SIGTERM. When this fails, every other integration test would fail less clearly.
import { afterAll, describe, expect, it } from "vitest";
import { startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("integration harness", () => {
  let controller: Controller | undefined;
  let agent: Agent | undefined;

  afterAll(async () => {
    await agent?.stop();
    await controller?.stop();
  });

  it("starts a migrated, seeded controller that answers /api/health", async () => {
    controller = await startController();
    const res = await fetch(`${controller.url}/api/health`);
    expect(res.ok).toBe(true);
  });

  it("starts an agent that registers its hypervisor", async () => {
    agent = startAgent({
      host: "compute-1",
      controllerUrl: controller!.url,
      tokenFile: controller!.tokenFile("compute-1"),
      cpus: 4,
      memoryMb: 8192,
    });
    try {
      await waitForHypervisors(controller!.databaseUrl, ["compute-1"], 60_000, [agent]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- agent ---\n${agent.logs()}\n--- controller ---\n${controller!.logs()}`);
    }
  });

  it("kills an agent with everything it spawned", async () => {
    const pid = agent!.pid;
    const exit = await agent!.kill("SIGKILL");
    expect(exit.signal).toBe("SIGKILL");
    expect(alive(pid)).toBe(false);
  });

  it("stops the controller gracefully", async () => {
    const exit = await controller!.stop("SIGTERM");
    expect(exit).toMatchObject({ code: 0 });
    expect(alive(controller!.pid)).toBe(false);
  });
});
