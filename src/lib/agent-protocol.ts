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
  /** The instance directories (`<instances>/<uuid>`) on this host, for the controller to name leftovers. */
  instanceDirs: z.array(z.string().max(64)).optional(),
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
  /**
   * Those of `instanceDirs` that belong to nothing on this host any more, with why: a deleted
   * instance, or a move that failed or ended while this host could not be told to clean up.
   */
  leftovers: z.array(z.object({ uuid: z.string().max(64), reason: z.string() })).optional(),
  /**
   * Those of `domains` whose instance is placed elsewhere but moving to or from this host: the
   * agent leaves their domains alone (they are the move's, not strays to reap).
   */
  moving: z.array(z.string().max(64)).optional(),
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

// ---------------------------------------------------------------------------------------------
// Console log: Nova's get_console_output (the tail of the file libvirt captures the guest's serial
// console into) and a live follow of the same file. Console calls travel on the same `rpc` event
// as the compute calls but have their own schema, and their acks carry a payload.

/** The most lines one console read returns. */
export const CONSOLE_MAX_TAIL_LINES = 10_000;
/**
 * The most bytes of the file one console read returns (Nova's libvirt driver returns 100 KiB).
 * Kept well under Socket.IO's 1 MB message limit, escapes of control characters included.
 */
export const CONSOLE_MAX_BYTES = 512 * 1024;
/** The largest chunk of a live follow, in bytes of the file. */
export const CONSOLE_CHUNK_MAX_BYTES = 16 * 1024;
/** How long a follow lasts unless renewed; a controller renews its follows at a third of it. */
export const CONSOLE_FOLLOW_LEASE_SEC = 60;

export const CONSOLE_RPC_METHODS = ["get_console_output", "console_follow"] as const;

/** Controller → agent console calls (event `rpc`). */
export const consoleRpcSchema = z.discriminatedUnion("method", [
  z.object({
    method: z.literal("get_console_output"),
    ...instanceCall,
    /** The last N lines; absent: up to CONSOLE_MAX_TAIL_LINES, within `maxBytes`. */
    tailLines: z.number().int().min(1).max(CONSOLE_MAX_TAIL_LINES).optional(),
    maxBytes: z.number().int().min(1).max(CONSOLE_MAX_BYTES).optional(),
  }),
  /**
   * Starts or stops pushing what is appended to an instance's console log. A follow is a lease held
   * by one controller process (`holder`) for as long as browsers on it watch the console: `start`
   * takes or renews it, `stop` drops it, and one that is not renewed lapses after `leaseSec`. The
   * agent follows while any holder's lease is live, so several controllers never undo each other.
   */
  z.object({
    method: z.literal("console_follow"),
    context: requestContextSchema,
    uuid: z.string().uuid(),
    action: z.enum(["start", "stop"]),
    holder: z.string().min(1).max(200),
    /** Browsers watching through this holder, for the agent's log. */
    watchers: z.number().int().nonnegative(),
    leaseSec: z.number().positive().max(3600).default(CONSOLE_FOLLOW_LEASE_SEC),
  }),
]);
export type ConsoleRpc = z.infer<typeof consoleRpcSchema>;
export type ConsoleMethod = ConsoleRpc["method"];

/** What get_console_output answers (inside its ack). */
export const consoleOutputSchema = z.object({
  text: z.string(),
  /** False when there is no console log to read; `reason` says why. */
  available: z.boolean(),
  /** More of the log precedes `text` (cut by lines or by the byte cap). */
  truncated: z.boolean(),
  reason: z.string().max(500).optional(),
  /** Byte offset in the file where `text` ends: live chunks continue from here. */
  endOffset: z.number().int().nonnegative(),
});
export type ConsoleOutput = z.infer<typeof consoleOutputSchema>;
export const consoleOutputAckSchema = consoleOutputSchema.extend({ ok: z.literal(true) });

/**
 * A piece of a followed console log, agent → controller as `agent:console`, and forwarded as is to
 * the browsers watching it (`console:chunk` on /ui). Offsets are bytes of the file; `data` is the
 * UTF-8 text of `length` bytes, cut on character boundaries.
 */
export const consoleChunkSchema = z.object({
  uuid: z.string().uuid(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().min(1).max(CONSOLE_CHUNK_MAX_BYTES),
  data: z.string().max(CONSOLE_CHUNK_MAX_BYTES),
  /** The file was truncated or replaced: this chunk starts it over (offset 0). */
  reset: z.boolean().optional(),
});
export type ConsoleChunkMessage = z.infer<typeof consoleChunkSchema>;

/** Socket event name, agent → controller: one followed console chunk. */
export const AGENT_CONSOLE_EVENT = "agent:console";

/** Browser ↔ controller console events on /ui. */
export const UI_CONSOLE_EVENTS = {
  /** Browser → controller: start or stop watching an instance's console ({ uuid }, ack boolean). */
  watch: "console:watch",
  unwatch: "console:unwatch",
  /** Controller → browser: a ConsoleChunkMessage. */
  chunk: "console:chunk",
} as const;
