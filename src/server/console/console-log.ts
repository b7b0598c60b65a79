// server.consoleLog (Nova's os-getConsoleOutput): the last lines of an instance's console log,
// read by the agent of the instance's host from the file libvirt captures the serial console into.
// The caller has already been checked for the instance (project scoping); host names stay hidden
// from members, as Nova hides them.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { CONSOLE_MAX_BYTES, CONSOLE_MAX_TAIL_LINES, consoleOutputAckSchema, type RequestContext } from "@/lib/agent-protocol";
import { instanceSpec } from "@/server/conductor/specs";
import type { Instance } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { AgentUnavailable, callAgentFor } from "@/server/realtime/agent-rpc";

export const DEFAULT_TAIL_LINES = 200;
/** A console read is interactive: do not keep the page waiting as long as a lifecycle cast. */
const CONSOLE_RPC_TIMEOUT_SEC = 15;

export const consoleLogInput = z.object({
  id: z.string().uuid("Instance ids are UUIDs"),
  tailLines: z
    .number()
    .int()
    .min(1, "tailLines must be at least 1")
    .max(CONSOLE_MAX_TAIL_LINES, `tailLines must be at most ${CONSOLE_MAX_TAIL_LINES}`)
    .default(DEFAULT_TAIL_LINES),
});

export interface ConsoleLogView {
  /** The last `tailLines` lines (at most CONSOLE_MAX_BYTES of the file), as the guest wrote them. */
  text: string;
  /** More of the log precedes `text`. */
  truncated: boolean;
  /** False when the host has no console log for the instance; `reason` says why. */
  available: boolean;
  reason?: string;
  /** Byte offset in the console log where `text` ends: live `console:chunk`s continue from here. */
  endOffset: number;
  tailLines: number;
  maxBytes: number;
}

export async function readConsoleLog(
  instance: Instance,
  ctx: RequestContext,
  tailLines: number,
  isAdmin: boolean,
): Promise<ConsoleLogView> {
  const log = getLogger("stratus.api.servers", { ...ctx, instanceUuid: instance.uuid });
  // check_instance_host: the log lives on the host; an instance never placed has none.
  if (!instance.host) {
    throw new TRPCError({
      code: "CONFLICT",
      message: `Instance ${instance.uuid} is not ready: it has no compute host yet, so it has no console log.`,
    });
  }
  try {
    const out = await callAgentFor(
      instance.host,
      {
        method: "get_console_output",
        context: ctx,
        instance: instanceSpec(instance),
        tailLines,
        maxBytes: CONSOLE_MAX_BYTES,
      },
      consoleOutputAckSchema,
      { timeoutSec: CONSOLE_RPC_TIMEOUT_SEC },
    );
    log.debug(`Console log read: ${out.text.length} characters${out.available ? "" : ` (unavailable: ${out.reason ?? "no reason"})`}`);
    return {
      text: out.text,
      truncated: out.truncated,
      available: out.available,
      ...(out.reason !== undefined ? { reason: out.reason } : {}),
      endOffset: out.endOffset,
      tailLines,
      maxBytes: CONSOLE_MAX_BYTES,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`Cannot read the console log: ${message}`);
    if (err instanceof AgentUnavailable) {
      throw new TRPCError({
        code: "SERVICE_UNAVAILABLE",
        message: isAdmin ? message : `The compute host of instance ${instance.uuid} is unavailable; try again later.`,
      });
    }
    throw new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      message: isAdmin ? message : `The console log of instance ${instance.uuid} could not be read.`,
    });
  }
}
