// The wire contract between the controller and compute agents over Socket.IO's /agent namespace.
// Both sides parse every message with these schemas: a malformed message is refused with a clear
// error and changes nothing.
import { z } from "zod";
import { powerStateSchema, taskStateSchema, vmStateSchema } from "./states";

export const AGENT_NAMESPACE = "/agent";
export const AGENT_PROTOCOL_VERSION = 1;

const hostName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "host names are letters, digits, '.', '_' and '-'");

/** Handshake `auth` of an agent's socket. */
export const agentAuthSchema = z.object({
  host: hostName,
  token: z.string().min(16).max(256),
  protocol: z.literal(AGENT_PROTOCOL_VERSION),
});
export type AgentAuth = z.infer<typeof agentAuthSchema>;

/** Who asked, carried with every RPC and every log record (Nova's RequestContext). */
export const requestContextSchema = z.object({
  requestId: z.string().regex(/^req-[0-9a-f-]{36}$/),
  userId: z.string().nullable(),
  projectId: z.string().nullable(),
});
export type RequestContext = z.infer<typeof requestContextSchema>;

/** The hypervisor view of the host (`virsh nodeinfo`, `version`, `capabilities`). */
export const nodeResourcesSchema = z.object({
  hypervisorHostname: z.string().min(1),
  hypervisorType: z.string().min(1),
  /** Nova's packed integer: major * 1_000_000 + minor * 1_000 + micro. */
  hypervisorVersion: z.number().int().nonnegative(),
  libvirtUri: z.string(),
  cpuModel: z.string(),
  cpuInfo: z.object({
    arch: z.string(),
    model: z.string(),
    vendor: z.string().optional(),
    mhz: z.number().nonnegative(),
    sockets: z.number().int().positive(),
    cores: z.number().int().positive(),
    threads: z.number().int().positive(),
    numaCells: z.number().int().positive(),
  }),
  vcpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  localGb: z.number().int().nonnegative(),
});
export type NodeResources = z.infer<typeof nodeResourcesSchema>;

/** One domain as the hypervisor sees it. */
export const domainReportSchema = z.object({
  uuid: z.string().uuid(),
  name: z.string(),
  powerState: powerStateSchema,
});
export type DomainReport = z.infer<typeof domainReportSchema>;

export const registerSchema = z.object({
  host: hostName,
  version: z.string(),
  pid: z.number().int().positive(),
  node: nodeResourcesSchema,
  domains: z.array(domainReportSchema),
});
export type RegisterPayload = z.infer<typeof registerSchema>;

/** A heartbeat carries the hypervisor's domain list, so the controller sees what really runs. */
export const heartbeatSchema = z.object({
  host: hostName,
  time: z.string().datetime(),
  domains: z.array(domainReportSchema).optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** What the agent needs to build (or re-create) one instance's domain. */
export const instanceSpecSchema = z.object({
  uuid: z.string().uuid(),
  name: z.string(),
  vcpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  rootGb: z.number().int().nonnegative(),
  ephemeralGb: z.number().int().nonnegative(),
  swapMb: z.number().int().nonnegative(),
  imageId: z.string(),
  vmState: vmStateSchema,
  taskState: taskStateSchema.nullable(),
  powerState: powerStateSchema,
});
export type InstanceSpec = z.infer<typeof instanceSpecSchema>;

export const imageRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  diskFormat: z.string(),
  size: z.number().int().nonnegative().nullable(),
  checksum: z.string().nullable(),
});
export type ImageRef = z.infer<typeof imageRefSchema>;

export const registerAckSchema = z.object({
  ok: z.literal(true),
  heartbeatIntervalSec: z.number().positive(),
  /** The database's view of the instances placed on this host, for reconciliation at start. */
  instances: z.array(z.object({ spec: instanceSpecSchema, image: imageRefSchema.nullable() })),
});
export type RegisterAck = z.infer<typeof registerAckSchema>;

export const REBOOT_TYPES = ["SOFT", "HARD"] as const;
export const rebootTypeSchema = z.enum(REBOOT_TYPES);
export type RebootType = z.infer<typeof rebootTypeSchema>;

/** Every call names who asked and the instance as the database sees it. */
const instanceCall = { context: requestContextSchema, instance: instanceSpecSchema };
/**
 * Calls that may have to (re)create the domain from the database's view (power on, hard reboot,
 * resume or unrescue on a host that lost it) also carry the instance's image, for its disks.
 */
const recreatingCall = { ...instanceCall, image: imageRefSchema };

/** Controller → agent calls (nova-compute's RPC API), one socket event `rpc`. */
export const computeRpcSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("build_and_run_instance"), ...recreatingCall }),
  z.object({ method: z.literal("terminate_instance"), ...instanceCall }),
  z.object({ method: z.literal("stop_instance"), ...instanceCall }),
  z.object({ method: z.literal("start_instance"), ...recreatingCall }),
  z.object({ method: z.literal("reboot_instance"), ...recreatingCall, rebootType: rebootTypeSchema }),
  z.object({ method: z.literal("pause_instance"), ...instanceCall }),
  z.object({ method: z.literal("unpause_instance"), ...instanceCall }),
  // The image lets the agent re-create a domain a hung managed save took with the connection.
  z.object({ method: z.literal("suspend_instance"), ...recreatingCall }),
  z.object({ method: z.literal("resume_instance"), ...recreatingCall }),
  /** Nova's rescue: `rescueImage` boots first, the instance's own disk (from `image`) is second. */
  z.object({ method: z.literal("rescue_instance"), ...recreatingCall, rescueImage: imageRefSchema }),
  z.object({ method: z.literal("unrescue_instance"), ...recreatingCall }),
]);
export type ComputeRpc = z.infer<typeof computeRpcSchema>;
export type ComputeMethod = ComputeRpc["method"];
/** One call's payload by its method name. */
export type ComputeRpcOf<M extends ComputeMethod> = Extract<ComputeRpc, { method: M }>;

/** Every ack has this shape, so a refusal always carries a readable reason. */
export const ackSchema = z.union([
  z.object({ ok: z.literal(true) }).passthrough(),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type Ack = z.infer<typeof ackSchema>;

export const faultSchema = z.object({
  code: z.number().int(),
  message: z.string().max(255),
  details: z.string().optional(),
});

/**
 * A state change the agent made on an instance. With `expectedTaskState` present the controller
 * applies it as a compare-and-swap on the row, like Nova's instance.save(expected_task_state=...).
 */
export const instanceUpdateSchema = z.object({
  requestId: z.string().nullable(),
  uuid: z.string().uuid(),
  expectedTaskState: z.array(taskStateSchema.nullable()).optional(),
  vmState: vmStateSchema.optional(),
  taskState: taskStateSchema.nullable().optional(),
  powerState: powerStateSchema.optional(),
  progress: z.number().int().min(0).max(100).optional(),
  launchedAt: z.string().datetime().optional(),
  /** Human-readable step of the running operation ("Defining domain"), shown live. */
  step: z.string().max(200).optional(),
  fault: faultSchema.optional(),
});
export type InstanceUpdate = z.infer<typeof instanceUpdateSchema>;

/** Start or finish of an instance action event (`compute__do_build_and_run_instance`, ...). */
export const actionEventSchema = z.object({
  requestId: z.string(),
  uuid: z.string().uuid(),
  event: z.string().min(1).max(100),
  phase: z.enum(["start", "finish"]),
  time: z.string().datetime(),
  result: z.enum(["Success", "Error"]).optional(),
  traceback: z.string().optional(),
  details: z.string().optional(),
});
export type ActionEvent = z.infer<typeof actionEventSchema>;

/** A power state observed on the hypervisor (lifecycle event or periodic sync). */
export const powerReportSchema = z.object({
  uuid: z.string().uuid(),
  powerState: powerStateSchema,
  reason: z.string().max(200),
  /** The guest crashed (libvirt "crashed", or "shut off (crashed)"): the controller records a fault. */
  crashed: z.boolean().optional(),
});
export type PowerReport = z.infer<typeof powerReportSchema>;

export const logRecordWireSchema = z.object({
  time: z.string().datetime(),
  level: z.number().int(),
  host: z.string(),
  binary: z.string(),
  pid: z.number().int(),
  module: z.string(),
  requestId: z.string().nullable(),
  userId: z.string().nullable(),
  projectId: z.string().nullable(),
  instanceUuid: z.string().nullable(),
  message: z.string(),
  source: z.string().nullable(),
});
export type LogRecordWire = z.infer<typeof logRecordWireSchema>;
export const logBatchSchema = z.object({ records: z.array(logRecordWireSchema).max(1000) });

/** Socket event names, agent → controller. */
export const AGENT_EVENTS = {
  register: "agent:register",
  heartbeat: "agent:heartbeat",
  instanceUpdate: "agent:instance-update",
  actionEvent: "agent:action-event",
  powerReport: "agent:power-report",
  logs: "agent:logs",
} as const;
/** Socket event name, controller → agent. */
export const RPC_EVENT = "rpc";
