// The wire contract of cold migration and resize (Nova's prep_resize → resize_instance →
// finish_resize, then confirm_resize or revert_resize → finish_revert_resize). The conductor calls
// each step on the host that does it and waits for its answer, so every call here answers when its
// step is done (or refused, with the reason). The disk travels between the agents themselves: the
// destination opens a transfer slot guarded by a one-time token the conductor made, and the source
// streams the disk into it with its checksum.
import { z } from "zod";
import { imageRefSchema, instanceSpecSchema, requestContextSchema } from "./agent-protocol";

/** Which move a call belongs to, and the other host of it (the destination for the source, and the reverse). */
export const migrationRefSchema = z.object({
  id: z.number().int().positive(),
  peerHost: z.string().min(1).max(255),
});

/** At least 32 random bytes, hex: the transfer's only credential. */
const transferToken = z.string().regex(/^[0-9a-f]{64}$/, "transfer tokens are 64 hex characters");

const call = { context: requestContextSchema, instance: instanceSpecSchema, migration: migrationRefSchema };

export const MIGRATION_RPC_METHODS = [
  "prep_resize",
  "resize_instance",
  "finish_resize",
  "confirm_resize",
  "revert_resize",
  "finish_revert_resize",
  "migration_wait",
] as const;

export const migrationRpcSchema = z.discriminatedUnion("method", [
  /** Destination: make room for the incoming disk and open a transfer slot for `token`. */
  z.object({ method: z.literal("prep_resize"), ...call, image: imageRefSchema, token: transferToken }),
  /** Source: power the guest off and stream its disk to the destination's slot. */
  z.object({ method: z.literal("resize_instance"), ...call, transferUrl: z.string().url(), token: transferToken }),
  /** Destination: define the domain with the new flavor (`instance`) and start it if `powerOn`. */
  z.object({ method: z.literal("finish_resize"), ...call, image: imageRefSchema, powerOn: z.boolean() }),
  /** Source: the move is kept; remove the old domain and files. */
  z.object({ method: z.literal("confirm_resize"), ...call }),
  /** Destination: the move is undone; remove the new domain and files. */
  z.object({ method: z.literal("revert_resize"), ...call }),
  /** Source: define the domain again with the old flavor (`instance`) and start it if `powerOn`. */
  z.object({ method: z.literal("finish_revert_resize"), ...call, image: imageRefSchema, powerOn: z.boolean() }),
  /**
   * Either host: answers once no step of the instance's move runs here (each holds the instance's
   * lock), e.g. a copy a restarted controller no longer waits on, before it settles the move.
   */
  z.object({ method: z.literal("migration_wait"), ...call }),
]);
export type MigrationRpc = z.infer<typeof migrationRpcSchema>;
export type MigrationMethod = MigrationRpc["method"];
export type MigrationRpcOf<M extends MigrationMethod> = Extract<MigrationRpc, { method: M }>;

export function isMigrationRpc(payload: unknown): boolean {
  const method = typeof payload === "object" && payload !== null && "method" in payload ? payload.method : undefined;
  return (MIGRATION_RPC_METHODS as readonly unknown[]).includes(method);
}

/** prep_resize's answer: where the source sends the disk. */
export const prepResizeAckSchema = z.object({ ok: z.literal(true), transferUrl: z.string().url() });

/** resize_instance's answer: what was sent, and the power state the guest had before. */
export const resizeInstanceAckSchema = z.object({
  ok: z.literal(true),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  seconds: z.number().nonnegative(),
});

/** Header names of a disk transfer (PUT <transferUrl> with Authorization: Bearer <token>). */
export const TRANSFER_HEADERS = {
  sha256: "x-stratus-sha256",
  instance: "x-stratus-instance",
} as const;
