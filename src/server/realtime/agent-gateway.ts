// The /agent namespace: compute agents authenticate with their host's token, register their
// resources, heartbeat, and report instance changes, action events, power states, log records and
// the console chunks of the consoles browsers watch.
// Every message is parsed with the protocol's schemas; a bad one is refused in its ack.
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import {
  actionEventSchema,
  AGENT_CONSOLE_EVENT,
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  agentAuthSchema,
  consoleChunkSchema,
  heartbeatSchema,
  instanceUpdateSchema,
  logBatchSchema,
  powerReportSchema,
  registerSchema,
  type Ack,
  type RegisterAck,
  type RegisterPayload,
} from "@/lib/agent-protocol";
import { MIGRATION_PROGRESS_EVENT, migrationProgressSchema } from "@/lib/live-migration-protocol";
import { verifyAgentToken } from "@/server/auth/agent-token";
import { config } from "@/server/config";
import { applyActionEvent, applyInstanceUpdate, applyPowerReport } from "@/server/conductor/agent-reports";
import { applyMigrationProgress } from "@/server/conductor/migration-progress";
import { forwardConsoleChunk } from "@/server/console/console-chunks";
import { consoleFollows } from "@/server/console/console-follows";
import { instanceLeftovers, movesInFlight } from "@/server/conductor/instance-leftovers";
import { imageRef, instanceSpec } from "@/server/conductor/specs";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { storeLogRecords } from "@/server/logs/store";
import { loadedHostStateCache } from "@/server/scheduler/host-state-cache";
import { COMPUTE_BINARY, reportState } from "@/server/services/service-registry";
import { agentConnectedHere } from "./agent-rpc";
import { rooms } from "./rooms";

const log = getLogger("stratus.api.agent_gateway");

interface AgentSocketData {
  host: string;
}

type Handler<T> = (host: string, payload: T) => Promise<Ack>;

/** Wraps a handler: parse, run, and always answer the ack — a failure never escapes the socket. */
function on<S extends z.ZodType>(socket: Socket, event: string, schema: S, handler: Handler<z.infer<S>>): void {
  socket.on(event, async (payload: unknown, ack?: (a: Ack) => void) => {
    const reply = typeof ack === "function" ? ack : () => undefined;
    const host = (socket.data as AgentSocketData).host;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const error = `invalid ${event}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
      log.warn(`Refused message from ${host}: ${error}`);
      reply({ ok: false, error });
      return;
    }
    try {
      reply(await handler(host, parsed.data));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log.error({ err }, `Handling ${event} from ${host} failed`);
      reply({ ok: false, error });
    }
  });
}

async function register(host: string, p: RegisterPayload): Promise<RegisterAck> {
  if (p.host !== host) throw new Error(`registered as ${p.host} but authenticated as ${host}`);
  const service = await reportState(COMPUTE_BINARY, host, p.pid);
  await db.service.update({ where: { id: service.id }, data: { version: p.version } });
  const node = {
    hypervisorHostname: p.node.hypervisorHostname,
    hypervisorType: p.node.hypervisorType,
    hypervisorVersion: p.node.hypervisorVersion,
    libvirtUri: p.node.libvirtUri,
    runningVms: p.domains.length,
    cpuModel: p.node.cpuModel,
    cpuInfo: JSON.stringify(p.node.cpuInfo),
    vcpus: p.node.vcpus,
    memoryMb: p.node.memoryMb,
    localGb: p.node.localGb,
  };
  const ratios = config.scheduler.initialAllocationRatios;
  await db.computeNode.upsert({
    where: { host },
    // Nova's initial_*_allocation_ratio: a new host starts with the configured ratios.
    create: { ...node, host, serviceId: service.id, cpuAllocationRatio: ratios.cpu, ramAllocationRatio: ratios.ram, diskAllocationRatio: ratios.disk },
    update: { ...node, serviceId: service.id },
  });
  // The scheduler's in-memory view of this host follows its registration.
  await loadedHostStateCache()?.refreshHost(host);
  const instances = await db.instance.findMany({ where: { host, deletedAt: null } });
  const images = await db.image.findMany({ where: { id: { in: [...new Set(instances.map((i) => i.imageId))] } } });
  const imageById = new Map(images.map((i) => [i.id, i]));
  const placed = new Set(instances.map((i) => i.uuid));
  const [leftovers, moving] = await Promise.all([
    instanceLeftovers(host, p.instanceDirs ?? [], placed),
    movesInFlight(host, p.domains.map((d) => d.uuid).filter((uuid) => !placed.has(uuid))),
  ]);
  log.info(
    `Compute host ${host} registered: ${p.node.vcpus} vCPUs, ${p.node.memoryMb} MB RAM, ${p.node.localGb} GB disk, ` +
      `${p.node.hypervisorType} ${p.node.hypervisorVersion}, ${p.domains.length} domains, ${instances.length} instances placed` +
      (leftovers.length ? `, ${leftovers.length} instance directories left over` : ""),
  );
  return {
    ok: true,
    heartbeatIntervalSec: config.STRATUS_REPORT_INTERVAL,
    instances: instances.map((i) => ({ spec: instanceSpec(i), image: imageRef(imageById.get(i.imageId) ?? null, i.imageId) })),
    leftovers,
    moving: [...moving],
  };
}

export function attachAgentGateway(io: Server): void {
  const nsp = io.of(AGENT_NAMESPACE);

  nsp.use(async (socket, next) => {
    const auth = agentAuthSchema.safeParse(socket.handshake.auth);
    const address = socket.handshake.address;
    if (!auth.success) {
      log.warn(`Refused agent connection from ${address}: malformed handshake`);
      return next(new Error("unauthorized: malformed agent handshake"));
    }
    if (!(await verifyAgentToken(auth.data.host, auth.data.token))) {
      log.warn(`Refused agent connection from ${address} claiming host ${auth.data.host}: unknown token`);
      return next(new Error(`unauthorized: unknown token for host ${auth.data.host}`));
    }
    (socket.data as AgentSocketData).host = auth.data.host;
    next();
  });

  nsp.on("connection", (socket) => {
    const host = (socket.data as AgentSocketData).host;
    // One live agent per host: an older socket for the same host (a process that outlived its
    // supervisor, a half-dead connection) must not receive RPCs meant for the new one.
    nsp.in(rooms.host(host)).except(socket.id).disconnectSockets(true);
    void socket.join(rooms.host(host));
    agentConnectedHere(host);
    log.info(`Agent for ${host} connected from ${socket.handshake.address}`);
    socket.on("disconnect", (reason) => log.info(`Agent for ${host} disconnected: ${reason}`));

    on(socket, AGENT_EVENTS.register, registerSchema, async (h, p) => {
      const ack = await register(h, p);
      // A restarted agent lost the console follows this controller holds: take them again.
      consoleFollows()?.agentRegistered(h);
      return ack;
    });
    on(socket, AGENT_EVENTS.heartbeat, heartbeatSchema, async (h, beat) => {
      await reportState(COMPUTE_BINARY, h);
      loadedHostStateCache()?.heartbeat(h);
      // running_vms is what the hypervisor lists, not what the database expects.
      if (beat.domains) await db.computeNode.updateMany({ where: { host: h }, data: { runningVms: beat.domains.length } });
      return { ok: true };
    });
    on(socket, AGENT_EVENTS.instanceUpdate, instanceUpdateSchema, async (h, u) => ({ ok: true, ...(await applyInstanceUpdate(h, u)) }));
    on(socket, AGENT_EVENTS.actionEvent, actionEventSchema, async (h, e) => {
      await applyActionEvent(h, e);
      return { ok: true };
    });
    on(socket, AGENT_EVENTS.powerReport, powerReportSchema, async (h, r) => {
      await applyPowerReport(h, r);
      return { ok: true };
    });
    on(socket, MIGRATION_PROGRESS_EVENT, migrationProgressSchema, async (h, p) => ({ ok: true, applied: await applyMigrationProgress(h, p) }));
    on(socket, AGENT_CONSOLE_EVENT, consoleChunkSchema, async (h, chunk) => {
      await forwardConsoleChunk(h, chunk);
      return { ok: true };
    });
    on(socket, AGENT_EVENTS.logs, logBatchSchema, async (h, batch) => {
      // The authenticated host wins over whatever the records claim.
      storeLogRecords(batch.records.map((r) => ({ ...r, host: h })));
      return { ok: true };
    });
  });
}
