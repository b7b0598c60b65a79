// A whole Stratus cloud on real QEMU: a private libvirt host (scripts/qemu/libvirtd.sh), a real
// controller on SQLite and one real compute agent whose STRATUS_LIBVIRT_URI is that host, with
// the tiny guest images uploaded through the HTTP image API. Used by the real-QEMU suite and by
// `npm run bench:create -- --qemu`.
//
//   const stack = await startQemuStack({ agentEnv: { STRATUS_WAIT_SOFT_REBOOT_SECONDS: "10" } });
//   const tiny = await stack.uploadImage("tiny", stack.images.tiny);
//   const { instances } = await stack.admin.server.create.mutate({ name: "vm", flavorId: "1", imageId: tiny.id });
//   ...
//   await stack.stop();
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { baseFileName } from "../../../agent/imagecache/cache-paths";
import { domainName } from "../../../agent/driver/domain-xml";
import type { ImageView } from "@/server/images/image-view";
import { login, type ApiClient } from "../api-client";
import { restartController, startAgent, startController, waitForHypervisors, type Agent, type Controller } from "../harness";
import { ConsoleLog, ensureGuestImages, run, startLibvirtHost, type GuestImages, type LibvirtHost } from "./harness";

export const COMPUTE_HOST = "compute-qemu";

export interface QemuStackOptions {
  /** Extra agent environment (timeouts, cache pass settings). */
  agentEnv?: Record<string, string>;
  controllerEnv?: Record<string, string>;
  /** Name of the libvirt host's state dir (default "qemu-compute"). */
  hostName?: string;
  /** More compute hosts, each its own libvirtd and agent (migration tests): their host names. */
  peerHosts?: string[];
}

/** One compute host of the stack: its libvirt daemon, its agent and where its files are. */
export interface QemuCompute {
  name: string;
  host: LibvirtHost;
  agent: Agent;
  instanceDir(uuid: string): string;
  console(uuid: string): ConsoleLog;
}

export interface QemuStack {
  images: GuestImages;
  host: LibvirtHost;
  controller: Controller;
  agent: Agent;
  admin: ApiClient;
  adminCookie: string;
  /** Every compute host, the first one (`host`, `agent`) first. */
  computes: QemuCompute[];
  /** How long each part of the start took, in ms (for the suite's timing report). */
  startup: Array<[string, number]>;
  /** The agent's instances path (Nova's instances_path): `<uuid>/disk`, `_base/<sha1>`. */
  instancesDir: string;
  /** Creates an image record and uploads the file over `PUT /api/images/<id>/file`, with its sha256. */
  uploadImage(name: string, file: string): Promise<ImageView>;
  /** `<instances>/_base/<sha1(image id)>`. */
  basePath(imageId: string): string;
  instanceDir(uuid: string): string;
  console(uuid: string): ConsoleLog;
  /** The libvirt domain name the agent gives the instance. */
  domain(uuid: string): string;
  /**
   * Kills the controller (SIGKILL: no shutdown of its own), runs `whileDown`, and starts it again
   * on the same port and database with `env` over the first start's; resolves once every agent
   * has reconnected and registered. `controller` is the new one afterwards.
   */
  restartController(options?: { env?: Record<string, string>; whileDown?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function startQemuStack(options: QemuStackOptions = {}): Promise<QemuStack> {
  const startup: Array<[string, number]> = [];
  let mark = Date.now();
  const lap = (label: string): void => {
    startup.push([label, Date.now() - mark]);
    mark = Date.now();
  };
  const images = await ensureGuestImages();
  lap("guest images (packages, build or cache)");
  // Hosts of a several-host stack listen on TCP too: live migration is peer to peer between them.
  const tcpPort = options.peerHosts?.length ? undefined : false;
  const host = await startLibvirtHost(options.hostName ?? "qemu-compute", { tcpPort });
  lap("private libvirtd + virtlogd");
  let controller: Controller | undefined;
  let agent: Agent | undefined;
  const peers: QemuCompute[] = [];
  const uploaded: string[] = [];
  const compute = (name: string, h: LibvirtHost, a: Agent): QemuCompute => ({
    name,
    host: h,
    agent: a,
    instanceDir: (uuid) => path.join(h.instancesDir, uuid),
    console: (uuid) => new ConsoleLog(path.join(h.instancesDir, uuid, "console.log")),
  });
  const startComputeAgent = (ctl: Controller, name: string, h: LibvirtHost): Agent =>
    startAgent({
      host: name,
      controllerUrl: ctl.url,
      tokenFile: ctl.tokenFile(name),
      env: {
        STRATUS_LIBVIRT_URI: h.uri,
        STRATUS_INSTANCES_PATH: h.instancesDir,
        STRATUS_DISK_GB: "100",
        ...(h.tcpUri ? { STRATUS_LIVE_MIGRATION_URI: h.tcpUri, STRATUS_LIVE_MIGRATION_INBOUND_ADDR: "127.0.0.1" } : {}),
        ...options.agentEnv,
      },
    });
  try {
    const peerNames = options.peerHosts ?? [];
    controller = await startController({ agentHosts: [COMPUTE_HOST, ...peerNames], ...(options.controllerEnv ? { env: options.controllerEnv } : {}) });
    lap("controller (database, migrate, seed, start)");
    agent = startComputeAgent(controller, COMPUTE_HOST, host);
    for (const name of peerNames) {
      const h = await startLibvirtHost(name, { tcpPort });
      peers.push(compute(name, h, startComputeAgent(controller, name, h)));
    }
    await waitForHypervisors(controller.databaseUrl, [COMPUTE_HOST, ...peerNames], 120_000, [agent, ...peers.map((p) => p.agent)]);
    lap("agent registered");
    const { api: admin, cookie: adminCookie } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password);
    let ctl = controller;
    const agt = agent;
    return {
      images,
      startup,
      host,
      get controller() {
        return ctl;
      },
      agent: agt,
      computes: [compute(COMPUTE_HOST, host, agt), ...peers],
      admin,
      adminCookie,
      instancesDir: host.instancesDir,
      async uploadImage(name, file) {
        const image = await admin.image.create.mutate({ name, diskFormat: "raw", visibility: "public" });
        uploaded.push(image.id);
        const res = await fetch(`${ctl.url}/api/images/${image.id}/file`, {
          method: "PUT",
          headers: {
            cookie: adminCookie,
            "content-type": "application/octet-stream",
            "x-image-sha256": await sha256File(file),
            "x-image-size": String(statSync(file).size),
          },
          body: new Blob([new Uint8Array(await readFile(file))]),
        });
        const body = (await res.json()) as ImageView & { error?: string };
        if (res.status !== 200) throw new Error(`upload of ${file} failed: HTTP ${res.status}: ${body.error ?? JSON.stringify(body)}`);
        return body;
      },
      basePath: (imageId) => path.join(host.instancesDir, "_base", baseFileName(imageId)),
      instanceDir: (uuid) => path.join(host.instancesDir, uuid),
      console: (uuid) => new ConsoleLog(path.join(host.instancesDir, uuid, "console.log")),
      domain: (uuid) => domainName(uuid),
      async restartController({ env = {}, whileDown } = {}) {
        ctl = await restartController(ctl, { env: { ...options.controllerEnv, ...env }, whileDown });
        // Back in service once every agent has registered again (a build sent before would fail).
        const restarted = ctl;
        await Promise.all([COMPUTE_HOST, ...peerNames].map((name) => restarted.waitForLog(new RegExp(`Compute host ${name} registered`), 60_000)));
      },
      async stop() {
        // Uploaded files live in the controller's shared image store (var/images).
        for (const id of uploaded) await admin.image.delete.mutate({ id }).catch(() => undefined);
        await Promise.all([agt, ...peers.map((p) => p.agent)].map((a) => a.stop()));
        await ctl.stop();
        await Promise.all([host, ...peers.map((p) => p.host)].map((h) => h.stop()));
      },
    };
  } catch (error) {
    await agent?.stop().catch(() => undefined);
    for (const p of peers) await p.agent.stop().catch(() => undefined);
    await controller?.stop().catch(() => undefined);
    await host.stop().catch(() => undefined);
    for (const p of peers) await p.host.stop().catch(() => undefined);
    throw error;
  }
}

/** `qemu-img info --backing-chain --output=json -U`: one entry per image of the chain, top first. */
export async function backingChain(disk: string): Promise<Array<Record<string, unknown>>> {
  return JSON.parse(await run("qemu-img", ["info", "--backing-chain", "--output=json", "-U", disk])) as Array<Record<string, unknown>>;
}

/** Waits until no task runs on the instance and `done` holds; fails at once on an unexpected ERROR. */
export async function settled<T extends { status: string; taskState: string | null; fault: { message: string } | null }>(
  get: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 120_000,
  what = "the instance to settle",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await get();
    if (last.taskState === null && done(last)) return last;
    if (last.status === "ERROR" && last.taskState === null) throw new Error(`waiting for ${what}: the instance went to ERROR: ${last.fault?.message ?? "no fault"}`);
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify({ status: last?.status, taskState: last?.taskState })}`);
}
