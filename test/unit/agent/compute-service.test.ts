import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AGENT_EVENTS } from "@/lib/agent-protocol";
import { ComputeService } from "../../../agent/compute-service";
import { loadConfig } from "../../../agent/config";
import type { LibvirtHypervisor } from "../../../agent/driver/libvirt-hypervisor";
import { SocketController, TOKEN } from "./socket-controller";
import { instanceSpec } from "./test-host";
import { eventually } from "./eventually";

let server: SocketController;
let service: ComputeService | null;
let dir: string;

beforeAll(() => void vi.spyOn(process.stdout, "write").mockImplementation(() => true));
afterAll(() => vi.restoreAllMocks());
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "stratus-service-"));
  server = new SocketController();
  await server.start();
});
afterEach(async () => {
  await service?.stop();
  service = null;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startService(): ComputeService {
  const config = loadConfig(
    {
      STRATUS_CONTROLLER_URL: server.url,
      STRATUS_AGENT_HOST: "compute-7",
      STRATUS_AGENT_TOKEN: TOKEN,
      STRATUS_STATE_DIR: dir,
      STRATUS_TEST_NODE_CPUS: "4",
      STRATUS_TEST_NODE_MEMORY_MB: "4096",
      STRATUS_DISK_GB: "50",
      STRATUS_CALL_TIMEOUT: "5",
      STRATUS_POWER_SYNC_INTERVAL: "0.2",
      STRATUS_ACK_TIMEOUT: "2",
    },
    [],
  );
  service = new ComputeService(config);
  return service;
}

const image = { id: randomUUID(), name: "cirros", diskFormat: "raw", size: null, checksum: null };
const context = () => ({ requestId: `req-${randomUUID()}`, userId: "u", projectId: "p" });

// Real virsh processes on the test driver: on a loaded machine a test takes longer than the default 5 s.
describe("ComputeService: the agent process without main()", { timeout: 30_000 }, () => {
  it("registers its simulated host, builds on RPC, and re-creates domains after a hypervisor reset", async () => {
    const svc = startService();
    await svc.start();
    await eventually(() => expect(server.registrations).toHaveLength(1));
    const reg = server.registrations[0]!;
    expect(reg).toMatchObject({
      host: "compute-7",
      pid: process.pid,
      domains: [],
      node: {
        hypervisorHostname: "compute-7",
        hypervisorType: "TEST",
        hypervisorVersion: 2,
        libvirtUri: `test://${dir}/node.xml`,
        vcpus: 4,
        memoryMb: 4096,
        localGb: 50,
        cpuInfo: { arch: "x86_64", sockets: 1, cores: 4, threads: 1 },
      },
    });
    expect(existsSync(path.join(dir, "instances"))).toBe(true);

    const spec = instanceSpec();
    expect(await server.rpc({ method: "build_and_run_instance", context: context(), instance: spec, image })).toEqual({ ok: true });
    await eventually(() => expect(server.updatesFor(spec.uuid).at(-1)).toMatchObject({ vmState: "active", powerState: 1 }));

    // A hung virsh call: the shell is killed and the test driver's domains go with it.
    server.instances = [{ spec: { ...spec, vmState: "active", taskState: null, powerState: 1 }, image }];
    const hv = svc.hypervisor as LibvirtHypervisor;
    await expect(hv.virsh(["event", "--all", "--loop"], 200)).rejects.toMatchObject({ code: "timeout" });
    // The agent registers again and re-creates the domain from the database's view.
    await eventually(() => expect(server.registrations.length).toBeGreaterThanOrEqual(2));
    await eventually(async () => expect(await hv.domainState(spec.uuid)).toMatchObject({ state: "running" }));
    // ...without reporting it gone in between.
    expect(server.reports.filter(([e]) => e === AGENT_EVENTS.powerReport)).toEqual([]);
  });

  it("at start, fails builds a restart interrupted and reports power changes it observes", async () => {
    const building = instanceSpec({ vmState: "building", taskState: "spawning" });
    const active = instanceSpec({ vmState: "active", taskState: null, powerState: 1 });
    server.instances = [building, active].map((spec) => ({ spec, image: null }));
    const svc = startService();
    await svc.start();
    await eventually(() =>
      expect(server.updatesFor(building.uuid)).toEqual([
        expect.objectContaining({
          vmState: "error",
          taskState: null,
          expectedTaskState: ["spawning"],
          fault: { code: 500, message: "Instance build interrupted by compute restart" },
        }),
      ]),
    );
    const hv = svc.hypervisor;
    await eventually(async () => expect(await hv.domainState(active.uuid)).toMatchObject({ state: "running" }));
    await hv.destroy(active.uuid); // the guest powers off behind the agent's back
    await eventually(() =>
      expect(server.reports).toContainEqual([
        AGENT_EVENTS.powerReport,
        { uuid: active.uuid, powerState: 4, reason: "hypervisor reports the domain shut off (destroyed)" },
      ]),
    );
  });

  it("keeps reports it could not deliver in its journal for the next start", async () => {
    const svc = startService();
    await svc.start();
    await eventually(() => expect(server.registrations).toHaveLength(1));
    const port = server.port;
    await server.stop();
    const spec = instanceSpec();
    // Built while the controller is away (the RPC came just before): its first update waits, and
    // the build with it, as nova-compute waits on the conductor.
    void svc.manager.buildAndRunInstance(context(), spec, image);
    await eventually(() => expect(readFileSync(path.join(dir, "outbox.jsonl"), "utf8")).toContain(spec.uuid));
    await svc.stop();
    service = null;

    server = new SocketController();
    await server.start(port);
    startService();
    await service!.start();
    await eventually(() => expect(server.updatesFor(spec.uuid)).toEqual([expect.objectContaining({ taskState: null, progress: 0 })]));
  });
});
