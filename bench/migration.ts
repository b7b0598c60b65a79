// npm run bench:migration — moving instances between two compute hosts, through the real API,
// conductor and agents. Asserts nothing.
//
// Cold: a disk of real data (the root overlay filled with --size-mib of written blocks by qemu-io)
// between two agents on libvirt's test driver. Prints the end-to-end time (request →
// VERIFY_RESIZE), the copy's time and throughput as the source measured it, and the confirm time.
// The disk transfer, claims and state machine are the real ones; the guest's power-off and start
// cost what the test driver costs (milliseconds).
//
// Live: real TCG guests between two libvirt daemons, idle and busy (bench/migration/live.ts).
//
//   npm run bench:migration -- [--size-mib 1024] [--runs 3] [--only cold|live]
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { eventually, login, type ApiClient } from "../test/integration/api-client";
import { startAgent, startController, waitForHypervisors, type Agent } from "../test/integration/harness";
import { runLive } from "./migration/live";

const { values } = parseArgs({
  options: { "size-mib": { type: "string", default: "1024" }, runs: { type: "string", default: "3" }, only: { type: "string" } },
});
const SIZE_MIB = Number(values["size-mib"]);
const RUNS = Number(values.runs);
const HOSTS = ["compute-1", "compute-2"];

async function settledAs(api: ApiClient, uuid: string, status: string, timeoutMs = 600_000): Promise<number> {
  await eventually(
    async () => {
      const v = await api.server.get.query({ id: uuid });
      if (v.status === "ERROR") throw new Error(`instance failed: ${v.fault?.message ?? "?"}`);
      return v.status === status && v.taskState === null ? true : undefined;
    },
    timeoutMs,
    `${uuid} to become ${status}`,
  );
  return Date.now();
}

/** Writes `mib` MiB of data into the overlay, in 64 MiB writes (qemu-io on the qcow2 file). */
function fill(disk: string, mib: number): void {
  const cmds: string[] = [];
  for (let off = 0; off < mib; off += 64) cmds.push("-c", `write -P 0x5a ${off}M ${Math.min(64, mib - off)}M`);
  execFileSync("qemu-io", ["-f", "qcow2", ...cmds, disk], { stdio: "ignore" });
}

async function main(): Promise<void> {
  if (values.only !== undefined && values.only !== "cold" && values.only !== "live") throw new Error(`--only takes cold or live, not ${values.only}`);
  if (values.only !== "live") await runCold();
  if (values.only !== "cold") await runLive(RUNS);
}

async function runCold(): Promise<void> {
  const controller = await startController({ agentHosts: HOSTS });
  const agents: Agent[] = HOSTS.map((host) =>
    startAgent({ host, controllerUrl: controller.url, tokenFile: controller.tokenFile(host), cpus: 16, memoryMb: 32768, env: { STRATUS_DISK_GB: "2000" } }),
  );
  try {
    await waitForHypervisors(controller.databaseUrl, HOSTS, 60_000, agents);
    const { api } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password);
    const imageId = (await api.image.list.query())[0]!.id;
    console.log(`cold migration of a ${SIZE_MIB} MiB disk between two agents, ${RUNS} runs (m1.small, test driver)`);
    for (let run = 1; run <= RUNS; run++) {
      const { instances } = await api.server.create.mutate({ name: `bench-move-${run}`, flavorId: "2", imageId, count: 1 });
      const uuid = instances[0]!.uuid;
      await settledAs(api, uuid, "ACTIVE");
      const source = (await api.server.get.query({ id: uuid })).host!;
      const agent = agents[HOSTS.indexOf(source)]!;
      fill(path.join(agent.stateDir, "instances", uuid, "disk"), SIZE_MIB);
      // The client's pooled socket may have been closed by the server while qemu-io ran: a read
      // (safe to repeat) takes the hit instead of the migrate request.
      await api.server.get.query({ id: uuid }).catch(() => api.server.get.query({ id: uuid }));

      const started = Date.now();
      await api.server.migrate.mutate({ id: uuid });
      const moved = await settledAs(api, uuid, "VERIFY_RESIZE");
      const [m] = await api.server.migrations.query({ id: uuid });
      const migrate = (await api.server.actions.query({ id: uuid })).find((a) => a.action === "migrate");
      const copy = migrate?.events.find((e) => e.event === "compute_resize_instance");
      const copyS = Number(/ in ([\d.]+) s/.exec(copy?.details ?? "")?.[1] ?? NaN);
      const bytes = m?.diskTotal ?? 0;
      const confirmStarted = Date.now();
      await api.server.confirmResize.mutate({ id: uuid });
      const confirmed = await settledAs(api, uuid, "ACTIVE");
      console.log(
        `RESULT run=${run} disk_mib=${(bytes / 1024 / 1024).toFixed(0)} total_s=${((moved - started) / 1000).toFixed(2)} ` +
          `copy_s=${copyS.toFixed(2)} copy_mib_per_s=${(bytes / 1024 / 1024 / copyS).toFixed(0)} confirm_s=${((confirmed - confirmStarted) / 1000).toFixed(2)} ` +
          `${source}→${m?.destCompute}`,
      );
      await api.server.delete.mutate({ id: uuid });
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await controller.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
