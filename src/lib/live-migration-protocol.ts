// The wire contract of live migration (Nova's check_can_live_migrate_destination +
// pre_live_migration → live_migration → post_live_migration_at_destination / post_live_migration,
// or rollback_live_migration_at_destination). As with cold moves, the conductor calls each step
// on the host that does it and each call answers when its step is done. The guest's memory and
// disks go from one libvirtd to the other (peer to peer); the source agent watches the job and
// streams its figures to the controller as `agent:migration-progress` events.
import { z } from "zod";
import { imageRefSchema, instanceSpecSchema, requestContextSchema } from "./agent-protocol";
import { migrationRefSchema } from "./migration-protocol";


/** Where the destination takes the guest in: its libvirtd, its data address and its paths. */
export const liveDestinationSchema = z.object({
  /** The destination's libvirtd as the source's libvirtd reaches it (p2p), e.g. qemu+tcp://host-b/system. */
  libvirtUri: z.string().min(1).max(1024),
  /** The address the destination's QEMU listens on for memory and disk streams (Nova's live_migration_inbound_addr). */
  inboundAddress: z.string().min(1).max(255),
  /** The destination's instances path: the source rewrites its domain's paths to it. */
  instancesPath: z.string().startsWith("/").max(4096),
});
export type LiveDestination = z.infer<typeof liveDestinationSchema>;

/** What a completion timeout does (Nova's live_migration_timeout_action). */
export const TIMEOUT_ACTIONS = ["abort", "force_complete"] as const;
export type TimeoutAction = (typeof TIMEOUT_ACTIONS)[number];

const call = { context: requestContextSchema, instance: instanceSpecSchema, migration: migrationRefSchema };

export const LIVE_MIGRATION_RPC_METHODS = [
  "pre_live_migration",
  "live_migration",
  "live_migration_abort",
  "live_migration_force_complete",
  "live_migration_wait",
  "post_live_migration_at_destination",
  "post_live_migration",
  "rollback_live_migration_at_destination",
] as const;

export const liveMigrationRpcSchema = z.discriminatedUnion("method", [
  /** Destination: check it can take the guest, fetch the image and create the disks to copy into. */
  z.object({ method: z.literal("pre_live_migration"), ...call, image: imageRefSchema }),
  /** Source: migrate the running guest; answers when libvirt finished, was cancelled or failed. */
  z.object({
    method: z.literal("live_migration"),
    ...call,
    dest: liveDestinationSchema,
    /** Seconds before the timeout action; 0 waits for ever (Nova: 800 s per GiB of RAM and disk). */
    completionTimeoutSec: z.number().int().nonnegative(),
    timeoutAction: z.enum(TIMEOUT_ACTIONS),
  }),
  /** Source: cancel the running migration; the guest keeps running here. */
  z.object({ method: z.literal("live_migration_abort"), ...call }),
  /** Source: make the migration converge now (pause the guest; lift the bandwidth cap). */
  z.object({ method: z.literal("live_migration_force_complete"), ...call }),
  /**
   * Source: answers once no live migration of the instance runs from this host (the migration
   * holds the instance's lock), e.g. after an abort, before the destination is asked how it ended.
   */
  z.object({ method: z.literal("live_migration_wait"), ...call }),
  /** Destination: the guest is here now; resume it if it ran before and report the completed job. */
  z.object({ method: z.literal("post_live_migration_at_destination"), ...call, image: imageRefSchema }),
  /** Source: the guest left; remove what is left of it here. */
  z.object({ method: z.literal("post_live_migration"), ...call }),
  /** Destination: the migration did not happen; remove its disks (never a running guest). */
  z.object({ method: z.literal("rollback_live_migration_at_destination"), ...call }),
]);
export type LiveMigrationRpc = z.infer<typeof liveMigrationRpcSchema>;
export type LiveMigrationMethod = LiveMigrationRpc["method"];
export type LiveMigrationRpcOf<M extends LiveMigrationMethod> = Extract<LiveMigrationRpc, { method: M }>;

export function isLiveMigrationRpc(payload: unknown): boolean {
  const method = typeof payload === "object" && payload !== null && "method" in payload ? payload.method : undefined;
  return (LIVE_MIGRATION_RPC_METHODS as readonly unknown[]).includes(method);
}

export const preLiveMigrationAckSchema = z.object({ ok: z.literal(true), dest: liveDestinationSchema });

export const liveMigrationAckSchema = z.object({
  ok: z.literal(true),
  /** completed: the guest runs on the destination; cancelled: aborted, it runs here still. */
  outcome: z.enum(["completed", "cancelled"]),
  /** Why it was cancelled (an operator's abort, the completion timeout). */
  reason: z.string().optional(),
  /** Force complete happened (by an operator or the timeout): the guest was paused to converge. */
  forced: z.boolean(),
  elapsedMs: z.number().nonnegative(),
});

/** The destination's view of the finished job (libvirt keeps the completed job's stats there). */
export const postLiveMigrationAckSchema = z.object({
  ok: z.literal(true),
  powerState: z.number().int().min(0).max(7),
  downtimeMs: z.number().nonnegative().nullable(),
  elapsedMs: z.number().nonnegative().nullable(),
  memoryProcessed: z.number().nonnegative().nullable(),
});

export const rollbackAckSchema = z.object({
  ok: z.literal(true),
  /** The guest already runs on the destination: the migration completed after all, nothing was removed. */
  guestIsHere: z.boolean(),
});

/** Agent → controller while a live migration runs (about once a second). */
export const migrationProgressSchema = z.object({
  migrationId: z.number().int().positive(),
  uuid: z.string().uuid(),
  elapsedMs: z.number().nonnegative(),
  memoryTotal: z.number().nonnegative(),
  memoryProcessed: z.number().nonnegative(),
  memoryRemaining: z.number().nonnegative(),
  diskTotal: z.number().nonnegative(),
  diskProcessed: z.number().nonnegative(),
  diskRemaining: z.number().nonnegative(),
  /** Transfer rate, bytes per second (memory and disk). */
  bytesPerSecond: z.number().nonnegative(),
  /** Seconds left at the current rate; null until there is a rate. */
  etaSeconds: z.number().nonnegative().nullable(),
  /** Pre-copy passes over memory so far. */
  iteration: z.number().int().nonnegative(),
  /** The guest was paused so the copy converges (force complete). */
  forced: z.boolean(),
});
export type MigrationProgress = z.infer<typeof migrationProgressSchema>;

/** The agent event that carries MigrationProgress. */
export const MIGRATION_PROGRESS_EVENT = "agent:migration-progress";
