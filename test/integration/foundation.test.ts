// The foundation end to end: a real controller and two real agents on libvirt's test driver, over
// the real API. Create → ACTIVE, delete → gone from the hypervisor with the claim freed; one request
// id across API, scheduler and agent; bad input refused with nothing changed; projects isolated
// over tRPC and Socket.IO; a killed agent goes down and comes back up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { UI_EVENTS, UI_NAMESPACE, type InstanceView } from "@/lib/instance-view";
import { startAgent, startController, waitForHypervisors, query, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

// Short service windows so "down" is observable in seconds (Nova: 10 s / 60 s).
const ENV = { STRATUS_REPORT_INTERVAL: "1", STRATUS_SERVICE_DOWN_TIME: "4" };
// A fixed disk size keeps placement independent of the test machine's file system.
const AGENT_ENV = { STRATUS_DISK_GB: "2000" };

let controller: Controller;
let agents: Agent[] = [];
let admin: ApiClient;
let demo: ApiClient;
let demoCookie: string;
let adminCookie: string;
let imageId: string;

async function nodeUsage(host: string) {
  const [row] = await query<{ vcpusUsed: number; memoryMbUsed: number; localGbUsed: number; runningVms: number }>(
    controller.databaseUrl,
    `SELECT "vcpusUsed", "memoryMbUsed", "localGbUsed", "runningVms" FROM compute_nodes WHERE host = '${host}'`,
  );
  if (!row) throw new Error(`no compute node ${host}`);
  return { vcpusUsed: Number(row.vcpusUsed), memoryMbUsed: Number(row.memoryMbUsed), localGbUsed: Number(row.localGbUsed), runningVms: Number(row.runningVms) };
}

async function waitForStatus(api: ApiClient, uuid: string, status: string, timeoutMs = 30_000): Promise<InstanceView> {
  return eventually(async () => {
    const view = await api.server.get.query({ id: uuid });
    return view.status === status ? view : undefined;
  }, timeoutMs, `instance ${uuid} to become ${status}`);
}

function uiSocket(cookie: string): Promise<Socket> {
  const socket = connect(`${controller.url}${UI_NAMESPACE}`, { transports: ["websocket"], extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

beforeAll(async () => {
  controller = await startController({ env: ENV });
  agents = [
    startAgent({ host: "compute-1", controllerUrl: controller.url, tokenFile: controller.tokenFile("compute-1"), cpus: 16, memoryMb: 32768, env: AGENT_ENV }),
    startAgent({ host: "compute-2", controllerUrl: controller.url, tokenFile: controller.tokenFile("compute-2"), cpus: 8, memoryMb: 16384, env: AGENT_ENV }),
  ];
  await waitForHypervisors(controller.databaseUrl, ["compute-1", "compute-2"], 60_000, agents);
  ({ api: admin, cookie: adminCookie } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo, cookie: demoCookie } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
  const images = await admin.image.list.query();
  imageId = images[0]!.id;
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.stop();
});

describe("services", () => {
  it("lists the controller's services and both compute agents as up", async () => {
    const services = await eventually(async () => {
      const list = await admin.service.list.query();
      return list.filter((s) => s.state === "up").length >= 5 ? list : undefined;
    });
    const names = services.map((s) => `${s.binary}@${s.host}:${s.state}`);
    expect(names).toEqual(expect.arrayContaining(["stratus-compute@compute-1:up", "stratus-compute@compute-2:up"]));
    for (const binary of ["stratus-api", "stratus-scheduler", "stratus-conductor"]) {
      expect(services.some((s) => s.binary === binary && s.state === "up" && s.zone === "internal")).toBe(true);
    }
    expect(services.find((s) => s.host === "compute-1")?.zone).toBe("nova");
  });

  it("records each host's resources as libvirt reports them", async () => {
    const rows = await query<{ host: string; vcpus: number; memoryMb: number; hypervisorType: string }>(
      controller.databaseUrl,
      `SELECT host, vcpus, "memoryMb", "hypervisorType" FROM compute_nodes ORDER BY host`,
    );
    expect(rows.map((r) => [r.host, Number(r.vcpus), Number(r.memoryMb), r.hypervisorType])).toEqual([
      ["compute-1", 16, 32768, "TEST"],
      ["compute-2", 8, 16384, "TEST"],
    ]);
  });

  it("refuses and logs an agent with an unknown token", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/stratus-badtoken-`);
    writeFileSync(`${dir}/token`, "this-is-not-the-right-token-at-all");
    const intruder = startAgent({ host: "compute-1", controllerUrl: controller.url, tokenFile: `${dir}/token` });
    try {
      await intruder.waitForLog(/refused/i, 30_000);
      await controller.waitForLog(/unknown token/, 10_000);
    } finally {
      await intruder.stop();
    }
  });
});

describe("create and delete", () => {
  it("builds an instance to ACTIVE through scheduling → networking → block_device_mapping → spawning", async () => {
    const socket = await uiSocket(adminCookie);
    const seen: string[] = [];
    socket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => {
      const step = `${v.vmState}/${v.taskState ?? "None"}`;
      if (seen.at(-1) !== step) seen.push(step);
    });
    try {
      const { requestId, instances } = await admin.server.create.mutate({ name: "web", flavorId: "1", imageId, count: 1 });
      expect(requestId).toMatch(/^req-[0-9a-f-]{36}$/);
      const uuid = instances[0]!.uuid;
      const view = await waitForStatus(admin, uuid, "ACTIVE");
      expect(view.powerState).toBe(1);
      expect(view.host).toMatch(/^compute-[12]$/);
      expect(view.launchedAt).not.toBeNull();
      await eventually(async () => (seen.includes("active/None") ? true : undefined), 10_000, "the ACTIVE push");
      // Every step reached the browser's channel, in Nova's order.
      const order = ["building/scheduling", "building/networking", "building/block_device_mapping", "building/spawning", "active/None"];
      const indexes = order.map((s) => seen.indexOf(s));
      expect(indexes.every((i) => i >= 0)).toBe(true);
      expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);

      // The claim is on the chosen host, and libvirt lists the domain there.
      const usage = await eventually(async () => {
        const u = await nodeUsage(view.host!);
        return u.runningVms === 1 ? u : undefined;
      }, 15_000, "libvirt to list the domain");
      expect(usage).toMatchObject({ vcpusUsed: 1, memoryMbUsed: 512, localGbUsed: 1 });

      // One request id on the API, scheduler and agent lines of this create.
      const lines = await eventually(async () => {
        const records = await admin.log.search.query({ requestId, limit: 500 });
        const binaries = new Set(records.map((r) => r.binary));
        return ["stratus-api", "stratus-scheduler", "stratus-compute"].every((b) => binaries.has(b)) ? records : undefined;
      }, 15_000, "log lines of the create");
      expect(lines.every((l) => l.line.includes(requestId))).toBe(true);

      // The action log has the create with its events.
      const actions = await admin.server.actions.query({ id: uuid });
      expect(actions[0]).toMatchObject({ action: "create", requestId });
      const events = actions[0]!.events.map((e) => e.event);
      expect(events).toEqual(expect.arrayContaining(["schedule_instances", "compute__do_build_and_run_instance"]));
      expect(actions[0]!.events.every((e) => e.result === "Success")).toBe(true);

      // Delete: gone from the list, from libvirt, and the claim is freed.
      const del = await admin.server.delete.mutate({ id: uuid });
      expect(del.requestId).toMatch(/^req-/);
      await eventually(async () => {
        const list = await admin.server.list.query({});
        return list.items.some((i) => i.uuid === uuid) ? undefined : true;
      }, 30_000, "the instance to disappear");
      await eventually(async () => {
        const u = await nodeUsage(view.host!);
        return u.runningVms === 0 && u.vcpusUsed === 0 && u.memoryMbUsed === 0 && u.localGbUsed === 0 ? true : undefined;
      }, 15_000, "the domain and the claim to be gone");
      const allocations = await query(controller.databaseUrl, `SELECT id FROM allocations WHERE "instanceUuid" = '${uuid}'`);
      expect(allocations).toHaveLength(0);
    } finally {
      socket.close();
    }
  });

  it("places a multi-create across hosts with names suffixed like Nova's", async () => {
    const { instances } = await admin.server.create.mutate({ name: "batch", flavorId: "2", imageId, count: 3 });
    expect(instances.map((i) => i.name)).toEqual(["batch-1", "batch-2", "batch-3"]);
    const views = await Promise.all(instances.map((i) => waitForStatus(admin, i.uuid, "ACTIVE")));
    // Each placement saw the previous claims: the hosts' usage adds up to exactly three m1.small.
    const usage = await Promise.all(["compute-1", "compute-2"].map(nodeUsage));
    expect(usage.reduce((sum, u) => sum + u.memoryMbUsed, 0)).toBe(3 * 2048);
    expect(views.every((v) => v.host === "compute-1" || v.host === "compute-2")).toBe(true);
    await Promise.all(instances.map((i) => admin.server.delete.mutate({ id: i.uuid })));
    await eventually(async () => ((await admin.server.list.query({})).total === 0 ? true : undefined), 30_000, "all deleted");
  });

  it("explains a request that fits nowhere and leaves no claim behind", async () => {
    const { instances } = await admin.server.create.mutate({ name: "huge", flavorId: "5", imageId, count: 4 });
    // m1.xlarge = 16 GB RAM: compute-1 takes 2 ((32768-512)×1.5 MB), compute-2 takes 1; the 4th fits nowhere.
    const views = await Promise.all(
      instances.map((i) =>
        eventually(async () => {
          const v = await admin.server.get.query({ id: i.uuid });
          return v.status === "ACTIVE" || v.status === "ERROR" ? v : undefined;
        }),
      ),
    );
    // As in Nova, a multi-create that cannot place every instance fails as a whole.
    expect(views.every((v) => v.status === "ERROR")).toBe(true);
    for (const v of views) expect(v.fault?.message).toBe("No valid host was found for instance 4 of 4. 2 hosts: 2 without enough RAM.");
    for (const v of views) await admin.server.delete.mutate({ id: v.uuid });
    await eventually(async () => ((await admin.server.list.query({})).total === 0 ? true : undefined), 30_000, "all deleted");
    const used = await Promise.all(["compute-1", "compute-2"].map(nodeUsage));
    expect(used.map((u) => u.memoryMbUsed)).toEqual([0, 0]);
  });
});

describe("bad input changes nothing", () => {
  async function instanceCount(): Promise<number> {
    const rows = await query<{ n: number }>(controller.databaseUrl, "SELECT COUNT(*) AS n FROM instances");
    return Number(rows[0]!.n);
  }

  it.each([
    ["an unknown flavor", { name: "x", flavorId: "99", count: 1 }, "NOT_FOUND", /Flavor 99 could not be found/],
    ["an empty name", { name: "", flavorId: "1", count: 1 }, "BAD_REQUEST", /name must not be empty/],
    ["a 300-character name", { name: "n".repeat(300), flavorId: "1", count: 1 }, "BAD_REQUEST", /at most 255 characters/],
    ["a negative count", { name: "x", flavorId: "1", count: -1 }, "BAD_REQUEST", /Count must be at least 1/],
    ["an unknown image", { name: "x", flavorId: "1", count: 1, imageId: "00000000-0000-0000-0000-000000000000" }, "NOT_FOUND", /Image .* could not be found/],
  ])("refuses %s", async (_what, input, code, message) => {
    const before = await instanceCount();
    const err = await errorOf(admin.server.create.mutate({ imageId, ...input }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(await instanceCount()).toBe(before);
  });

  it("requires a login", async () => {
    const { apiClient } = await import("./api-client");
    const err = await errorOf(apiClient(controller.url).server.list.query({}));
    expect(err.code).toBe("UNAUTHORIZED");
  });

  it("refuses a wrong password", async () => {
    const err = await errorOf(login(controller.url, "admin", "wrong password"));
    expect(err).toEqual({ code: "UNAUTHORIZED", message: "Invalid username or password." });
  });

  it("keeps the admin API from members", async () => {
    expect((await errorOf(demo.service.list.query())).code).toBe("FORBIDDEN");
  });
});

describe("project isolation", () => {
  it("never shows or lets a member touch another project's instance, over tRPC or Socket.IO", async () => {
    const demoSocket = await uiSocket(demoCookie);
    const leaked: string[] = [];
    demoSocket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => leaked.push(v.uuid));
    try {
      const { instances } = await admin.server.create.mutate({ name: "private", flavorId: "1", imageId, count: 1 });
      const uuid = instances[0]!.uuid;
      await waitForStatus(admin, uuid, "ACTIVE");

      expect((await demo.server.list.query({})).items.map((i) => i.uuid)).not.toContain(uuid);
      expect(await errorOf(demo.server.get.query({ id: uuid }))).toMatchObject({ code: "NOT_FOUND" });
      expect(await errorOf(demo.server.delete.mutate({ id: uuid }))).toMatchObject({ code: "NOT_FOUND" });
      expect(await errorOf(demo.server.actions.query({ id: uuid }))).toMatchObject({ code: "NOT_FOUND" });
      const subscribed = await demoSocket.emitWithAck("subscribe:instance", { uuid });
      expect(subscribed).toBe(false);
      // The member's delete changed nothing.
      expect((await admin.server.get.query({ id: uuid })).status).toBe("ACTIVE");

      await admin.server.delete.mutate({ id: uuid });
      await eventually(async () => ((await admin.server.list.query({})).total === 0 ? true : undefined), 30_000, "deleted");
      expect(leaked).toEqual([]);
    } finally {
      demoSocket.close();
    }
  });
});

describe("agent failure", () => {
  it("shows a SIGKILLed agent down after the heartbeat window and up again when it restarts", async () => {
    const victim = agents[1]!;
    await victim.kill("SIGKILL");
    const down = await eventually(async () => {
      const s = (await admin.service.list.query()).find((x) => x.host === "compute-2");
      return s?.state === "down" ? s : undefined;
    }, 20_000, "compute-2 to be down");
    expect(down.binary).toBe("stratus-compute");

    const restarted = startAgent({
      host: "compute-2",
      controllerUrl: controller.url,
      tokenFile: controller.tokenFile("compute-2"),
      cpus: 8,
      memoryMb: 16384,
      stateDir: victim.stateDir,
      env: AGENT_ENV,
    });
    agents[1] = restarted;
    await eventually(async () => {
      const s = (await admin.service.list.query()).find((x) => x.host === "compute-2");
      return s?.state === "up" ? s : undefined;
    }, 30_000, "compute-2 to be up again");
  });

  it("tells a member of its own instance neither the host nor an internal error's details, over tRPC or Socket.IO", async () => {
    const demoSocket = await uiSocket(demoCookie);
    const adminSocket = await uiSocket(adminCookie);
    const pushed: InstanceView[] = [];
    const pushedToAdmin: InstanceView[] = [];
    demoSocket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => pushed.push(v));
    adminSocket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => pushedToAdmin.push(v));
    try {
      // Fits nowhere (m1.xlarge × 4): a NoValidHost whose details name hosts.
      const { instances } = await demo.server.create.mutate({ name: "mine", flavorId: "5", imageId, count: 4 });
      const uuid = instances[0]!.uuid;
      const seen = await eventually(async () => {
        const v = await demo.server.get.query({ id: uuid });
        return v.status === "ERROR" ? v : undefined;
      });
      expect(seen.host).toBeNull();
      expect(seen.fault).toMatchObject({ code: 500, details: null, message: expect.stringContaining("No valid host was found") });
      const full = await admin.server.get.query({ id: uuid });
      expect(full.fault?.details).toMatch(/compute-1/);

      const listed = (await demo.server.list.query({})).items.find((i) => i.uuid === uuid)!;
      expect(listed).toMatchObject({ host: null, fault: { details: null } });
      const [create] = await demo.server.actions.query({ id: uuid });
      const schedule = create!.events.find((e) => e.event === "schedule_instances")!;
      expect(schedule).toMatchObject({ host: null, traceback: null, result: "Error", details: full.fault!.message });

      // The same over the live channel; the admin's own push keeps the details.
      await eventually(async () => (pushed.some((v) => v.uuid === uuid && v.status === "ERROR") ? true : undefined));
      for (const v of pushed) {
        expect(v.host).toBeNull();
        expect(v.fault?.details ?? null).toBeNull();
      }
      await eventually(async () => (pushedToAdmin.some((v) => v.uuid === uuid && v.fault?.details) ? true : undefined));

      for (const i of instances) await demo.server.delete.mutate({ id: i.uuid });
      await eventually(async () => ((await admin.server.list.query({ allProjects: true })).total === 0 ? true : undefined), 30_000, "deleted");
    } finally {
      demoSocket.close();
      adminSocket.close();
    }
  });
});
