// npm run bench:create — how long a create takes on libvirt's test driver, end to end through the
// real API, scheduler, conductor and agents: one at a time, then a burst spread over many agents.
// Prints figures; asserts nothing. The step breakdown comes from the instance action's events.
// With --qemu it measures real QEMU guests instead (bench/create-qemu.ts).
//
//   npm run bench:create -- [--serial 10] [--burst 100] [--agents 10]
//   npm run bench:create -- --qemu [--serial 3] [--parallel 2]
import { parseArgs } from "node:util";
import { login, eventually, type ApiClient } from "../test/integration/api-client";
import { startAgent, startController, waitForHypervisors, type Agent } from "../test/integration/harness";
import { runQemuBench } from "./create-qemu";

const { values } = parseArgs({
  options: {
    serial: { type: "string" },
    burst: { type: "string", default: "100" },
    agents: { type: "string", default: "10" },
    qemu: { type: "boolean", default: false },
    parallel: { type: "string", default: "2" },
  },
});
const SERIAL = Number(values.serial ?? (values.qemu ? 3 : 10));
const BURST = Number(values.burst);
const AGENTS = Number(values.agents);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return `${name.padEnd(28)} n=${String(s.length).padStart(4)}  mean=${mean.toFixed(1).padStart(8)} ms  p50=${percentile(s, 50).toFixed(1).padStart(8)} ms  p99=${percentile(s, 99).toFixed(1).padStart(8)} ms`;
}

interface Steps {
  apiMs: number;
  scheduleMs: number;
  computeMs: number;
  totalMs: number;
}

async function stepsOf(api: ApiClient, uuid: string, started: number, apiMs: number, activeAt: number): Promise<Steps> {
  const [create] = await api.server.actions.query({ id: uuid });
  const event = (name: string) => create?.events.find((e) => e.event === name);
  const span = (name: string) => {
    const e = event(name);
    return e?.finishTime ? e.finishTime.getTime() - e.startTime.getTime() : NaN;
  };
  return { apiMs, scheduleMs: span("schedule_instances"), computeMs: span("compute__do_build_and_run_instance"), totalMs: activeAt - started };
}

async function waitActive(api: ApiClient, uuids: string[]): Promise<Map<string, number>> {
  const activeAt = new Map<string, number>();
  await eventually(async () => {
    const { items } = await api.server.list.query({ pageSize: 200 });
    for (const i of items) {
      if (i.status === "ERROR") throw new Error(`${i.name} failed: ${i.fault?.message ?? "?"}`);
      if (i.status === "ACTIVE" && !activeAt.has(i.uuid)) activeAt.set(i.uuid, Date.now());
    }
    return uuids.every((u) => activeAt.has(u)) ? true : undefined;
  }, 300_000, "instances to become ACTIVE");
  return activeAt;
}

async function main(): Promise<void> {
  const hosts = Array.from({ length: AGENTS }, (_, i) => `compute-${i + 1}`);
  const controller = await startController({ agentHosts: hosts, env: { STRATUS_LOG_LEVEL: "warn" } });
  const agents: Agent[] = hosts.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 64, memoryMb: 262144, env: { STRATUS_DISK_GB: "10000", STRATUS_LOG_LEVEL: "warn" } }),
  );
  try {
    await waitForHypervisors(controller.databaseUrl, hosts, 120_000, agents);
    const { api } = await login(controller.url, "admin", controller.credentials.admin.password);
    const imageId = (await api.image.list.query())[0]!.id;

    // One at a time: the latency a user sees for a single launch.
    const serial: Steps[] = [];
    for (let i = 0; i < SERIAL; i++) {
      const started = Date.now();
      const { instances } = await api.server.create.mutate({ name: `serial-${i}`, flavorId: "1", imageId, count: 1 });
      const apiMs = Date.now() - started;
      const uuid = instances[0]!.uuid;
      const activeAt = await waitActive(api, [uuid]);
      serial.push(await stepsOf(api, uuid, started, apiMs, activeAt.get(uuid)!));
    }

    // A burst: BURST separate requests at once, spread by the scheduler over the agents.
    const burstStart = Date.now();
    const created = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        api.server.create.mutate({ name: `burst-${i}`, flavorId: "1", imageId, count: 1 }).then((r) => r.instances[0]!.uuid),
      ),
    );
    const activeAt = await waitActive(api, created);
    const burstWall = Math.max(...activeAt.values()) - burstStart;
    const perInstance = created.map((u) => activeAt.get(u)! - burstStart);

    console.log(`bench:create on libvirt's test driver, ${AGENTS} agents, database ${controller.databaseUrl.split(":")[0]}`);
    console.log(`serial (${SERIAL} creates, one at a time):`);
    console.log(`  ${summary("API call returns", serial.map((s) => s.apiMs))}`);
    console.log(`  ${summary("schedule + claim", serial.map((s) => s.scheduleMs))}`);
    console.log(`  ${summary("agent build (define+start)", serial.map((s) => s.computeMs))}`);
    console.log(`  ${summary("create → ACTIVE seen", serial.map((s) => s.totalMs))}`);
    console.log(`burst (${BURST} creates at once over ${AGENTS} agents):`);
    console.log(`  all ACTIVE after ${burstWall} ms  (${((BURST / burstWall) * 1000).toFixed(1)} instances/s)`);
    console.log(`  ${summary("create → ACTIVE seen", perInstance)}`);
    const spread = new Map<string, number>();
    for (const i of (await api.server.list.query({ pageSize: 200 })).items) if (i.host) spread.set(i.host, (spread.get(i.host) ?? 0) + 1);
    console.log(`  placement: ${[...spread.entries()].sort().map(([h, n]) => `${h}=${n}`).join(" ")}`);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await controller.stop();
  }
}

(values.qemu ? runQemuBench({ serial: SERIAL, parallel: Number(values.parallel) }) : main()).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
