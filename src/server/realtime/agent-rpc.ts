// Calls into compute agents (nova-compute's RPC API). The call goes to the agent's host room, so
// it reaches the agent through whichever controller replica holds its socket; the ack only says
// the agent accepted the work — results come back as instance updates and action events. Calls that
// read something (the console log) get their answer in the ack: callAgentFor parses it.
import type { z } from "zod";
import { ackSchema, AGENT_NAMESPACE, RPC_EVENT, type ComputeRpc, type ConsoleRpc } from "@/lib/agent-protocol";
import type { LiveMigrationRpc } from "@/lib/live-migration-protocol";
import type { MigrationRpc } from "@/lib/migration-protocol";
import { config } from "@/server/config";
import { getIo } from "./io";
import { rooms } from "./rooms";

export class AgentUnavailable extends Error {
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`Compute host ${host} is unavailable: ${reason}`);
  }
}

export async function callAgent(host: string, rpc: ComputeRpc): Promise<void> {
  await callAgentFor(host, rpc, ackSchema);
}

/**
 * Calls an agent and returns its ack parsed with `schema` (the payload of a call that reads
 * something, e.g. get_console_output). Throws AgentUnavailable when the agent is not there or does
 * not answer in time, and an Error with the agent's reason when it refused.
 */
export async function callAgentFor<S extends z.ZodType>(
  host: string,
  rpc: ComputeRpc | ConsoleRpc | MigrationRpc | LiveMigrationRpc,
  schema: S,
  options: { timeoutSec?: number } = {},
): Promise<z.infer<S>> {
  const io = getIo();
  if (!io) throw new AgentUnavailable(host, "no live channel in this process");
  const timeoutSec = options.timeoutSec ?? config.STRATUS_RPC_TIMEOUT;
  let replies: unknown[];
  try {
    replies = await io
      .of(AGENT_NAMESPACE)
      .to(rooms.host(host))
      .timeout(timeoutSec * 1000)
      .emitWithAck(RPC_EVENT, rpc);
  } catch {
    throw new AgentUnavailable(host, `no answer to ${rpc.method} within ${timeoutSec} s`);
  }
  if (replies.length === 0) throw new AgentUnavailable(host, "its agent is not connected");
  const ack = ackSchema.safeParse(replies[0]);
  if (!ack.success) throw new AgentUnavailable(host, `malformed reply to ${rpc.method}`);
  if (!ack.data.ok) throw new Error(`Compute host ${host} refused ${rpc.method}: ${ack.data.error}`);
  const parsed = schema.safeParse(replies[0]);
  if (!parsed.success) throw new AgentUnavailable(host, `malformed reply to ${rpc.method}`);
  return parsed.data as z.infer<S>;
}
