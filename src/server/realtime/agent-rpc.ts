// Calls into compute agents (nova-compute's RPC API). The call goes to the agent's host room, so
// it reaches the agent through whichever controller replica holds its socket; the ack only says
// the agent accepted the work — results come back as instance updates and action events.
import { ackSchema, AGENT_NAMESPACE, RPC_EVENT, type ComputeRpc } from "@/lib/agent-protocol";
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
  const io = getIo();
  if (!io) throw new AgentUnavailable(host, "no live channel in this process");
  let replies: unknown[];
  try {
    replies = await io
      .of(AGENT_NAMESPACE)
      .to(rooms.host(host))
      .timeout(config.STRATUS_RPC_TIMEOUT * 1000)
      .emitWithAck(RPC_EVENT, rpc);
  } catch {
    throw new AgentUnavailable(host, `no answer to ${rpc.method} within ${config.STRATUS_RPC_TIMEOUT} s`);
  }
  if (replies.length === 0) throw new AgentUnavailable(host, "its agent is not connected");
  const ack = ackSchema.safeParse(replies[0]);
  if (!ack.success) throw new AgentUnavailable(host, `malformed reply to ${rpc.method}`);
  if (!ack.data.ok) throw new Error(`Compute host ${host} refused ${rpc.method}: ${ack.data.error}`);
}
