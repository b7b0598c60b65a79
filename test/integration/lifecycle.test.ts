// The whole instance lifecycle end to end: a real controller and a real agent on libvirt's test
// driver, over the real API. Every action of the Instances menu reaches its final vm/task/power
// state with its action and events; an action in the wrong state is refused with Nova's words and
// changes nothing; two concurrent actions never both run; locks and resetState; a task past its
// deadline is rolled back with the reason; an agent killed mid-reboot finishes it when it returns.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect } from "socket.io-client";
import { UI_EVENTS, UI_NAMESPACE, type InstanceView } from "@/lib/instance-view";
import { query, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const DEADLINE_TASK = "powering-off";
const DEADLINE_SEC = 3;
const ENV = {
  STRATUS_REPORT_INTERVAL: "1",
  STRATUS_SERVICE_DOWN_TIME: "4",
  STRATUS_TASK_DEADLINES: JSON.stringify({ [DEADLINE_TASK]: DEADLINE_SEC }),
  STRATUS_TASK_DEADLINE_INTERVAL: "1",
};
const AGENT_ENV = { STRATUS_DISK_GB: "2000", STRATUS_WAIT_SOFT_REBOOT_SECONDS: "5", STRATUS_SHUTDOWN_TIMEOUT: "5" };

let controller: Controller;
let agent: Agent;
let admin: ApiClient;
let demo: ApiClient;
let adminCookie: string;
let imageId: string;
/** The demo project's instance most tests drive. */
let vm: string;
/** A second one, left SHUTOFF. */
let stopped: string;

function startComputeAgent(stateDir?: string): Agent {
  return startAgent({
    host: "compute-1",
    controllerUrl: controller.url,
    tokenFile: controller.tokenFile("compute-1"),
    env: AGENT_ENV,
    ...(stateDir ? { stateDir } : {}),
  });
}

beforeAll(async () => {
  controller = await startController({ env: ENV, agentHosts: ["compute-1"] });
  agent = startComputeAgent();
  await waitForHypervisors(controller.databaseUrl, ["compute-1"], 60_000, [agent]);
  ({ api: admin, cookie: adminCookie } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  imageId = (await admin.image.list.query())[0]!.id;
  vm = await createActive(demo, "lifecycle");
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
});

async function createActive(api: ApiClient, name: string): Promise<string> {
  const { instances } = await api.server.create.mutate({ name, flavorId: "1", imageId, count: 1 });
  const uuid = instances[0]!.uuid;
  await settled(api, uuid, (v) => v.status === "ACTIVE");
  return uuid;
}

/** Waits until no task runs on the instance and `done` holds. */
function settled(api: ApiClient, uuid: string, done: (v: InstanceView) => boolean = () => true, timeoutMs = 30_000): Promise<InstanceView> {
  return eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      return v.taskState === null && done(v) ? v : undefined;
    },
    timeoutMs,
    `instance ${uuid} to settle`,
  );
}

async function row(uuid: string): Promise<Record<string, unknown>> {
  const [r] = await query(controller.databaseUrl, `SELECT * FROM instances WHERE uuid = '${uuid}'`);
  return r!;
}

async function actionCount(uuid: string): Promise<number> {
  const [r] = await query<{ n: number }>(controller.databaseUrl, `SELECT COUNT(*) AS n FROM instance_actions WHERE "instanceUuid" = '${uuid}'`);
  return Number(r!.n);
}

async function faults(uuid: string): Promise<string[]> {
  const rows = await query<{ message: string }>(controller.databaseUrl, `SELECT message FROM instance_faults WHERE "instanceUuid" = '${uuid}' ORDER BY id`);
  return rows.map((r) => r.message);
}

/** The action the request started, once its compute event has finished. */
async function finishedAction(uuid: string, requestId: string, event: string) {
  return eventually(async () => {
    const action = (await admin.server.actions.query({ id: uuid })).find((a) => a.requestId === requestId);
    return action?.events.some((e) => e.event === event && e.finishTime) ? action : undefined;
  }, 15_000, `${event} of ${requestId} to finish`);
}

type Expect = { status: string; vmState: string; powerState: number };

/** Runs one action and checks its final state, its action row and its compute event. */
async function act(call: () => Promise<{ requestId: string }>, record: string, event: string, end: Expect): Promise<InstanceView> {
  const { requestId } = await call();
  expect(requestId).toMatch(/^req-[0-9a-f-]{36}$/);
  const view = await settled(demo, vm, (v) => v.status === end.status);
  expect(view).toMatchObject({ vmState: end.vmState, taskState: null, powerState: end.powerState });
  const action = await finishedAction(vm, requestId, event);
  expect(action).toMatchObject({ action: record, message: null });
  expect(action.finishTime).not.toBeNull();
  const compute = action.events.find((e) => e.event === event)!;
  expect(compute).toMatchObject({ result: "Success", host: "compute-1" });
  return view;
}

describe("every action's happy path", () => {
  it("stop → SHUTOFF, start → ACTIVE", async () => {
    await act(() => demo.server.stop.mutate({ id: vm }), "stop", "compute_stop_instance", { status: "SHUTOFF", vmState: "stopped", powerState: 4 });
    await act(() => demo.server.start.mutate({ id: vm }), "start", "compute_start_instance", { status: "ACTIVE", vmState: "active", powerState: 1 });
  });

  it("soft and hard reboot → ACTIVE", async () => {
    const active = { status: "ACTIVE", vmState: "active", powerState: 1 };
    await act(() => demo.server.reboot.mutate({ id: vm, type: "SOFT" }), "reboot", "compute_reboot_instance", active);
    await act(() => demo.server.reboot.mutate({ id: vm, type: "HARD" }), "reboot", "compute_reboot_instance", active);
  });

  it("pause → PAUSED, unpause → ACTIVE", async () => {
    await act(() => demo.server.pause.mutate({ id: vm }), "pause", "compute_pause_instance", { status: "PAUSED", vmState: "paused", powerState: 3 });
    await act(() => demo.server.unpause.mutate({ id: vm }), "unpause", "compute_unpause_instance", { status: "ACTIVE", vmState: "active", powerState: 1 });
  });

  it("suspend → SUSPENDED, resume → ACTIVE", async () => {
    // libvirt's test driver: `virsh managedsave` now and then never returns. The agent bounds the
    // call and the suspend ends ACTIVE with that explained in a fault; then it is simply retried.
    for (let attempt = 1; ; attempt++) {
      const { requestId } = await demo.server.suspend.mutate({ id: vm });
      const view = await settled(demo, vm);
      if (view.status === "SUSPENDED") {
        expect(view).toMatchObject({ vmState: "suspended", powerState: 4 });
        expect((await finishedAction(vm, requestId, "compute_suspend_instance")).events.at(-1)).toMatchObject({ result: "Success" });
        break;
      }
      expect(view.status).toBe("ACTIVE");
      expect((await faults(vm)).at(-1)).toMatch(/managedsave.*timed out/);
      expect(attempt).toBeLessThan(3);
    }
    await act(() => demo.server.resume.mutate({ id: vm }), "resume", "compute_resume_instance", { status: "ACTIVE", vmState: "active", powerState: 1 });
  });

  it("rescue (the instance's own image by default, or a chosen one) → RESCUE, unrescue → ACTIVE", async () => {
    const rescued = { status: "RESCUE", vmState: "rescued", powerState: 1 };
    const active = { status: "ACTIVE", vmState: "active", powerState: 1 };
    await act(() => demo.server.rescue.mutate({ id: vm }), "rescue", "compute_rescue_instance", rescued);
    await act(() => demo.server.unrescue.mutate({ id: vm }), "unrescue", "compute_unrescue_instance", active);
    await act(() => demo.server.rescue.mutate({ id: vm, imageId }), "rescue", "compute_rescue_instance", rescued);
    await act(() => demo.server.unrescue.mutate({ id: vm }), "unrescue", "compute_unrescue_instance", active);
  });
});

describe("refusals change nothing", () => {
  beforeAll(async () => {
    stopped = await createActive(demo, "stopped");
    await demo.server.stop.mutate({ id: stopped });
    await settled(demo, stopped, (v) => v.status === "SHUTOFF");
  });

  // The call starts only after the snapshot, so "nothing changed" compares against the real before.
  async function refused(call: () => Promise<unknown>, uuid: string, code: string, message: string | RegExp): Promise<void> {
    const before = await row(uuid);
    const actions = await actionCount(uuid);
    const err = await errorOf(call());
    expect(err.code).toBe(code);
    if (typeof message === "string") expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(await row(uuid)).toEqual(before);
    expect(await actionCount(uuid)).toBe(actions);
  }

  it("refuses actions the vm_state does not allow, in Nova's words", async () => {
    const onActive = ["start", "unpause", "resume", "unrescue"] as const;
    for (const a of onActive) {
      await refused(() => demo.server[a].mutate({ id: vm }), vm, "CONFLICT", `Cannot '${a}' instance ${vm} while it is in vm_state active`);
    }
    for (const a of ["stop", "pause", "suspend"] as const) {
      await refused(() => demo.server[a].mutate({ id: stopped }), stopped, "CONFLICT", `Cannot '${a}' instance ${stopped} while it is in vm_state stopped`);
    }
    await refused(() =>
      demo.server.reboot.mutate({ id: stopped, type: "SOFT" }),
      stopped,
      "CONFLICT",
      `Cannot 'reboot' instance ${stopped} while it is in vm_state stopped`,
    );
  });

  it("refuses bad input and unknown images", async () => {
    await refused(() => demo.server.reboot.mutate({ id: vm, type: "FIRM" as "SOFT" }), vm, "BAD_REQUEST", /type/);
    await refused(() => demo.server.rescue.mutate({ id: vm, imageId: "no-such-image" }), vm, "NOT_FOUND", "Image no-such-image could not be found.");
    await refused(() => demo.server.lock.mutate({ id: vm, reason: "r".repeat(300) }), vm, "BAD_REQUEST", /at most 255 characters/);
  });

  it("answers NOT_FOUND for an unknown instance and for another project's", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    for (const a of ["stop", "start", "pause", "unpause", "suspend", "resume", "rescue", "unrescue", "lock", "unlock"] as const) {
      expect(await errorOf(demo.server[a].mutate({ id: unknown }))).toEqual({ code: "NOT_FOUND", message: `Instance ${unknown} could not be found.` });
    }
    expect(await errorOf(demo.server.reboot.mutate({ id: unknown, type: "HARD" }))).toMatchObject({ code: "NOT_FOUND" });
    const adminVm = await createActive(admin, "admins-own");
    await refused(() => demo.server.stop.mutate({ id: adminVm }), adminVm, "NOT_FOUND", `Instance ${adminVm} could not be found.`);
    await refused(() => demo.server.lock.mutate({ id: adminVm }), adminVm, "NOT_FOUND", `Instance ${adminVm} could not be found.`);
    await admin.server.delete.mutate({ id: adminVm });
  });
});

describe("concurrency, locks and reset", () => {
  it("lets exactly one of two concurrent actions win; the other gets CONFLICT", async () => {
    const actionsBefore = await actionCount(vm);
    const results = await Promise.allSettled([demo.server.reboot.mutate({ id: vm, type: "SOFT" }), demo.server.stop.mutate({ id: vm })]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const err = await errorOf(Promise.reject(lost[0]!.reason));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toMatch(new RegExp(`^Cannot '(reboot|stop)' instance ${vm} while it is in task_state (rebooting|reboot_pending|reboot_started|powering-off)$`));
    const view = await settled(demo, vm, (v) => v.status === "ACTIVE" || v.status === "SHUTOFF");
    // Only the winner was recorded.
    expect(await actionCount(vm)).toBe(actionsBefore + 1);
    const [latest] = await admin.server.actions.query({ id: vm });
    expect(latest).toMatchObject({ action: view.status === "SHUTOFF" ? "stop" : "reboot", requestId: (won[0] as PromiseFulfilledResult<{ requestId: string }>).value.requestId });
    if (view.status === "SHUTOFF") {
      await demo.server.start.mutate({ id: vm });
      await settled(demo, vm, (v) => v.status === "ACTIVE");
    }
  });

  it("a lock refuses the member's actions but not the admin's", async () => {
    const { requestId } = await admin.server.lock.mutate({ id: vm, reason: "maintenance" });
    expect((await demo.server.get.query({ id: vm })).locked).toBe(true);
    const before = await row(vm);
    expect(await errorOf(demo.server.stop.mutate({ id: vm }))).toEqual({ code: "CONFLICT", message: `Instance ${vm} is locked` });
    expect(await errorOf(demo.server.unlock.mutate({ id: vm }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await row(vm)).toEqual(before);
    await act(() => admin.server.reboot.mutate({ id: vm, type: "HARD" }), "reboot", "compute_reboot_instance", { status: "ACTIVE", vmState: "active", powerState: 1 });
    await admin.server.unlock.mutate({ id: vm });
    expect((await demo.server.get.query({ id: vm })).locked).toBe(false);
    const actions = await admin.server.actions.query({ id: vm });
    expect(actions.find((a) => a.requestId === requestId)).toMatchObject({ action: "lock" });
    expect(actions[0]).toMatchObject({ action: "unlock" });
    expect(actions[0]!.finishTime).not.toBeNull();
    // A member's own lock is theirs to lift.
    await demo.server.lock.mutate({ id: vm });
    await demo.server.unlock.mutate({ id: vm });
  });

  it("resetState (admin only) sets vm_state and clears the task", async () => {
    expect(await errorOf(demo.server.resetState.mutate({ id: vm }))).toMatchObject({ code: "FORBIDDEN" });
    const { requestId } = await admin.server.resetState.mutate({ id: vm });
    expect(await demo.server.get.query({ id: vm })).toMatchObject({ vmState: "error", taskState: null, status: "ERROR" });
    expect((await admin.server.actions.query({ id: vm }))[0]).toMatchObject({ action: "resetState", requestId });
    await admin.server.resetState.mutate({ id: vm, state: "active" });
    expect(await demo.server.get.query({ id: vm })).toMatchObject({ vmState: "active", taskState: null, status: "ACTIVE" });
  });
});

describe("delete", () => {
  it("wins over a build in flight and is idempotent", async () => {
    const { instances } = await demo.server.create.mutate({ name: "short-lived", flavorId: "1", imageId, count: 1 });
    const uuid = instances[0]!.uuid;
    await demo.server.delete.mutate({ id: uuid });
    // A second delete of a deleting instance drives it again instead of failing.
    await demo.server.delete.mutate({ id: uuid }).catch((err: unknown) => {
      // ...unless the first already finished.
      expect(String(err)).toMatch(/could not be found/);
    });
    await eventually(async () => ((await row(uuid)).deletedAt ? true : undefined), 30_000, "the instance to be deleted");
    await eventually(async () => {
      const allocations = await query(controller.databaseUrl, `SELECT id FROM allocations WHERE "instanceUuid" = '${uuid}'`);
      return allocations.length === 0 ? true : undefined;
    }, 15_000, "the claim to be freed");
  });
});

describe("task deadlines", () => {
  it("rolls a task past its deadline back with the reason, and a late agent changes nothing", async () => {
    // A frozen agent accepts nothing and reports nothing: the stop can never finish.
    process.kill(-agent.pid, "SIGSTOP");
    try {
      const { requestId } = await demo.server.stop.mutate({ id: vm });
      expect((await demo.server.get.query({ id: vm })).taskState).toBe(DEADLINE_TASK);
      const view = await settled(demo, vm, () => true, 20_000);
      expect(view).toMatchObject({ status: "ACTIVE", vmState: "active", taskState: null });
      const reason = `Task ${DEADLINE_TASK} exceeded its ${DEADLINE_SEC} s deadline; the instance was returned to ACTIVE`;
      expect((await faults(vm)).at(-1)).toBe(reason);
      const action = (await admin.server.actions.query({ id: vm })).find((a) => a.requestId === requestId)!;
      expect(action).toMatchObject({ action: "stop", message: "Error" });
      expect(action.events.find((e) => e.event === "conductor_task_deadline")).toMatchObject({ result: "Error", details: reason });
      await controller.waitForLog(new RegExp(`${requestId}.*${reason.replace(/[()]/g, "\\$&")}`), 5_000);
    } finally {
      process.kill(-agent.pid, "SIGCONT");
    }
    // The agent wakes up, gets the stop, finds its compare-and-swap refused, and leaves the guest be.
    await agent.waitForLog(/Stopping instance: abandoned/, 40_000);
    expect(await demo.server.get.query({ id: vm })).toMatchObject({ status: "ACTIVE", taskState: null, powerState: 1 });
  });
});

describe("agent restart", () => {
  it("finishes a soft reboot the agent was killed in the middle of", async () => {
    const socket = connect(`${controller.url}${UI_NAMESPACE}`, { transports: ["websocket"], extraHeaders: { cookie: adminCookie } });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    try {
      const started = new Promise<void>((resolve) =>
        socket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => {
          if (v.uuid === vm && v.taskState === "reboot_started") resolve();
        }),
      );
      const { requestId } = await demo.server.reboot.mutate({ id: vm, type: "SOFT" });
      await started;
      // The guest has been asked to shut down and the agent is waiting for it: kill it now.
      const disconnectsBefore = controller.logs().match(/Agent for compute-1 disconnected/g)?.length ?? 0;
      await agent.kill("SIGKILL");
      expect((await demo.server.get.query({ id: vm })).taskState).toBe("reboot_started");

      // Meanwhile an action for that host cannot even be cast: it is rolled back at once, explained.
      // (Wait for the controller to see the socket close; until then a cast waits for its RPC timeout.)
      const disconnects = () => controller.logs().match(/Agent for compute-1 disconnected/g)?.length ?? 0;
      await eventually(async () => (disconnects() > disconnectsBefore ? true : undefined), 10_000, "the controller to see the agent go");
      const cast = await demo.server.start.mutate({ id: stopped });
      const back = await settled(demo, stopped, () => true, 10_000);
      expect(back).toMatchObject({ status: "SHUTOFF", taskState: null });
      // The fault is written just after the task state is rolled back.
      const fault = await eventually(async () => (await faults(stopped)).at(-1), 10_000, "the rollback's fault");
      expect(fault).toBe("Compute host compute-1 is unavailable: its agent is not connected");
      const failed = (await admin.server.actions.query({ id: stopped })).find((a) => a.requestId === cast.requestId)!;
      expect(failed).toMatchObject({ action: "start", message: "Error" });
      expect(failed.events).toEqual([expect.objectContaining({ event: "conductor_start_instance", result: "Error" })]);

      agent = startComputeAgent(agent.stateDir);
      await agent.waitForLog(/Instance in transitional state reboot_started at start-up/, 60_000);
      const view = await settled(demo, vm, (v) => v.status === "ACTIVE", 60_000);
      expect(view).toMatchObject({ vmState: "active", powerState: 1 });
      // The reboot action carries the finished event of the restarted agent.
      const action = await finishedAction(vm, requestId, "compute_reboot_instance");
      expect(action.events.some((e) => e.event === "compute_reboot_instance" && e.result === "Success")).toBe(true);
      expect(action.finishTime).not.toBeNull();
      // The domain really exists and runs on the hypervisor again.
      await eventually(async () => {
        const [node] = await query<{ runningVms: number }>(controller.databaseUrl, `SELECT "runningVms" FROM compute_nodes WHERE host = 'compute-1'`);
        return Number(node!.runningVms) >= 1 ? true : undefined;
      }, 20_000, "libvirt to list the domain again");
    } finally {
      socket.close();
    }
  });
});
