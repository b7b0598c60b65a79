// Calls into compute agents (nova-compute's RPC API). The call goes to the agent's host room, so
// it reaches the agent through whichever controller replica holds its socket; the ack only says
// the agent accepted the work — results come back as instance updates and action events. Calls that
// read something (the console log) get their answer in the ack: callAgentFor parses it.
import type { z } from "zod";
import { ackSchema, AGENT_NAMESPACE, RPC_EVENT, type ComputeRpc, type ConsoleRpc } from "@/lib/agent-protocol";
import type { LiveMigrationRpc } from "@/lib/live-migration-protocol";
import type { MigrationRpc } from "@/lib/migration-protocol";
import { config } from "@/server/config";
import { db } from "@/server/db";
import { COMPUTE_BINARY, isUp } from "@/server/services/service-registry";
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
  options: {
    timeoutSec?: number;
    /**
     * Give up as soon as the agent that took the call disconnects: its answer can never arrive
     * (an ack belongs to its connection), so a long call need not wait for its timeout.
     */
    watchConnection?: boolean;
  } = {},
): Promise<z.infer<S>> {
  const io = getIo();
  if (!io) throw new AgentUnavailable(host, "no live channel in this process");
  const timeoutSec = options.timeoutSec ?? config.STRATUS_RPC_TIMEOUT;
  const room = io.of(AGENT_NAMESPACE).in(rooms.host(host));
  let present = await room.fetchSockets();
  if (present.length === 0) {
    if (!(await reconnects(host, () => room.fetchSockets(), Date.now() + timeoutSec * 1000))) {
      throw new AgentUnavailable(host, "its agent is not connected");
    }
    present = await room.fetchSockets();
  }
  const holders = options.watchConnection ? new Set(present.map((s) => s.id)) : null;
  if (holders?.size === 0) throw new AgentUnavailable(host, "its agent is not connected");
  let replies: unknown[];
  const answer = io
    .of(AGENT_NAMESPACE)
    .to(rooms.host(host))
    .timeout(timeoutSec * 1000)
    .emitWithAck(RPC_EVENT, rpc)
    .catch(() => {
      throw new AgentUnavailable(host, `no answer to ${rpc.method} within ${timeoutSec} s`);
    });
  if (!holders) {
    replies = await answer;
  } else {
    const watch = new AbortController();
    try {
      replies = await Promise.race([answer, disconnected(host, rpc.method, () => room.fetchSockets(), holders, watch.signal)]);
    } finally {
      watch.abort();
      answer.catch(() => undefined); // settled later (its timeout) after the agent was given up on
    }
  }
  if (replies.length === 0) throw new AgentUnavailable(host, "its agent is not connected");
  const ack = ackSchema.safeParse(replies[0]);
  if (!ack.success) throw new AgentUnavailable(host, `malformed reply to ${rpc.method}`);
  if (!ack.data.ok) throw new Error(`Compute host ${host} refused ${rpc.method}: ${ack.data.error}`);
  const parsed = schema.safeParse(replies[0]);
  if (!parsed.success) throw new AgentUnavailable(host, `malformed reply to ${rpc.method}`);
  return parsed.data as z.infer<S>;
}

/** When this process started: until a service-down time later, agents may still be reconnecting. */
const STARTED_AT = Date.now();
const RECONNECT_POLL_MS = 250;
/** Hosts whose agent connected to this process since it started. */
const seen = new Set<string>();

/** The agent gateway tells of each agent connection. */
export function agentConnectedHere(host: string): void {
  seen.add(host);
}

/**
 * Whether the agent of `host`, not connected now, comes back before `deadline`. Right after this
 * controller started, agents that were connected to the process before are still reconnecting
 * (their back-off reaches 30 s): a call waits for one whose service is up, as a message waits
 * in Nova's queue for its compute service. An agent this process saw go, or one still missing a
 * service-down time after the start, is gone: the call fails at once instead of holding its caller.
 */
async function reconnects(host: string, sockets: () => Promise<unknown[]>, deadline: number): Promise<boolean> {
  if (seen.has(host) || Date.now() - STARTED_AT > config.serviceDownTimeMs) return false;
  const service = await db.service.findUnique({ where: { binary_host: { binary: COMPUTE_BINARY, host } } });
  if (!service || !isUp(service)) return false;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_POLL_MS));
    if ((await sockets()).length > 0) return true;
  }
  return false;
}

/** Whether `host`'s agent is connected (to any controller replica) and can take a call now. */
export async function agentConnected(host: string): Promise<boolean> {
  const io = getIo();
  if (!io) return false;
  return (await io.of(AGENT_NAMESPACE).in(rooms.host(host)).fetchSockets()).length > 0;
}

/** How often a watched call checks that the agent that took it is still connected. */
const WATCH_INTERVAL_MS = 2000;

/**
 * Rejects once none of `holders` (the sockets the call went to) is in the host's room any more —
 * across every controller replica, as the room's adapter sees it. A failed look is not a verdict.
 */
async function disconnected(
  host: string,
  method: string,
  sockets: () => Promise<{ id: string }[]>,
  holders: Set<string>,
  signal: AbortSignal,
): Promise<never> {
  for (;;) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WATCH_INTERVAL_MS);
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    // The call settled: this rejection lands on a race that is already decided.
    if (signal.aborted) throw new Error("no longer watched");
    try {
      if (!(await sockets()).some((s) => holders.has(s.id))) {
        throw new AgentUnavailable(host, `its agent disconnected before answering ${method}`);
      }
    } catch (err) {
      if (err instanceof AgentUnavailable) throw err;
    }
  }
}

