// Which consoles the agents should follow for this controller's browsers. A browser watching an
// instance's console is a socket in its `console:<uuid>` room (joined after the ownership check);
// while a room has sockets on this controller, this controller holds a follow lease on the
// instance's host and renews it at a third of its length; when the last socket leaves (or
// disconnects) it drops the lease. Each controller process holds its own leases under its own
// holder id, so replicas never cancel each other's, and a controller that dies simply lets its
// leases lapse. See agent/console/console-service.ts for the agent's half.
import { randomUUID } from "node:crypto";
import type { Namespace } from "socket.io";
import { ackSchema, CONSOLE_FOLLOW_LEASE_SEC, type ConsoleRpc } from "@/lib/agent-protocol";
import { config } from "@/server/config";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { AgentUnavailable, callAgentFor } from "@/server/realtime/agent-rpc";

const log = (uuid?: string) => getLogger("stratus.api.console", uuid ? { instanceUuid: uuid } : {});
const ROOM_PREFIX = "console:";

export interface ConsoleFollowsOptions {
  /** This controller's holder id; default: host, pid and a random suffix. */
  holder?: string;
  leaseSec?: number;
  /** The instance's host (null: none, or gone); default: the database. */
  hostOf?: (uuid: string) => Promise<string | null>;
  /** Sends one console_follow; default: callAgentFor. */
  call?: (host: string, rpc: Extract<ConsoleRpc, { method: "console_follow" }>) => Promise<void>;
}

async function hostFromDb(uuid: string): Promise<string | null> {
  const row = await db.instance.findUnique({ where: { uuid }, select: { host: true, deletedAt: true } });
  return row && !row.deletedAt ? row.host : null;
}

export class ConsoleFollows {
  readonly holder: string;
  private readonly nsp: Namespace;
  private readonly leaseSec: number;
  private readonly hostOf: (uuid: string) => Promise<string | null>;
  private readonly call: NonNullable<ConsoleFollowsOptions["call"]>;
  /** Instances this controller follows, with the host its lease is on (null: none yet). */
  private readonly followed = new Map<string, { host: string | null }>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(nsp: Namespace, options: ConsoleFollowsOptions = {}) {
    this.nsp = nsp;
    this.holder = options.holder ?? `${config.STRATUS_HOST}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.leaseSec = options.leaseSec ?? CONSOLE_FOLLOW_LEASE_SEC;
    this.hostOf = options.hostOf ?? hostFromDb;
    this.call =
      options.call ??
      (async (host, rpc) => {
        await callAgentFor(host, rpc, ackSchema, { timeoutSec: 10 });
      });
    const onRoom = (room: unknown) => {
      if (typeof room === "string" && room.startsWith(ROOM_PREFIX)) void this.changed(room.slice(ROOM_PREFIX.length));
    };
    nsp.adapter.on("join-room", onRoom);
    nsp.adapter.on("leave-room", onRoom);
  }

  /** Browsers on this controller watching the instance's console. */
  watchers(uuid: string): number {
    return this.nsp.adapter.rooms.get(`${ROOM_PREFIX}${uuid}`)?.size ?? 0;
  }

  /** Instances followed now, with their hosts (tests and diagnostics). */
  snapshot(): Map<string, string | null> {
    return new Map([...this.followed].map(([uuid, f]) => [uuid, f.host]));
  }

  /** An agent (re)registered: it may have restarted and lost our leases; take them again now. */
  agentRegistered(host: string): void {
    for (const [uuid, f] of this.followed) if (f.host === host || f.host === null) void this.changed(uuid);
  }

  /** Resolves once every queued follow change has been sent (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  stop(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  /**
   * Brings one instance's lease in line with its watchers; coalesces bursts of joins and leaves.
   * Resolves once the agent has answered (or could not be reached).
   */
  changed(uuid: string): Promise<void> {
    if (this.queued.has(uuid)) return this.chains.get(uuid) ?? Promise.resolve();
    this.queued.add(uuid);
    const previous = this.chains.get(uuid) ?? Promise.resolve();
    const next = previous
      .then(() => {
        this.queued.delete(uuid);
        return this.reconcile(uuid);
      })
      .catch((err: unknown) => log(uuid).error({ err }, "Updating the console follow failed"))
      .finally(() => {
        if (this.chains.get(uuid) === next) this.chains.delete(uuid);
      });
    this.chains.set(uuid, next);
    return next;
  }

  private async reconcile(uuid: string): Promise<void> {
    const watchers = this.watchers(uuid);
    const current = this.followed.get(uuid);
    if (watchers === 0) {
      if (!current) return;
      this.followed.delete(uuid);
      if (current.host) await this.send(current.host, uuid, "stop", 0);
      this.updateTimer();
      return;
    }
    const host = await this.hostOf(uuid);
    if (current?.host && current.host !== host) await this.send(current.host, uuid, "stop", watchers); // moved
    this.followed.set(uuid, { host });
    this.updateTimer();
    // Start or renew; with no host yet, the renewal pass tries again.
    if (host) await this.send(host, uuid, "start", watchers);
  }

  private async send(host: string, uuid: string, action: "start" | "stop", watchers: number): Promise<void> {
    try {
      await this.call(host, {
        method: "console_follow",
        context: { requestId: `req-${randomUUID()}`, userId: null, projectId: null },
        uuid,
        action,
        holder: this.holder,
        watchers,
        leaseSec: this.leaseSec,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // An agent that is down follows nothing; the renewal pass asks again once it is back.
      if (err instanceof AgentUnavailable) log(uuid).debug(`console_follow ${action} not delivered: ${message}`);
      else log(uuid).warn(`console_follow ${action} refused: ${message}`);
    }
  }

  private updateTimer(): void {
    if (this.followed.size > 0 && !this.renewTimer) {
      this.renewTimer = setInterval(() => {
        for (const uuid of this.followed.keys()) void this.changed(uuid);
      }, (this.leaseSec * 1000) / 3);
      this.renewTimer.unref();
    } else if (this.followed.size === 0 && this.renewTimer) {
      clearInterval(this.renewTimer);
      this.renewTimer = null;
    }
  }
}

const holder = globalThis as unknown as { stratusConsoleFollows?: ConsoleFollows };

/** Creates this process's follow manager on the /ui namespace (once). */
export function startConsoleFollows(nsp: Namespace, options?: ConsoleFollowsOptions): ConsoleFollows {
  holder.stratusConsoleFollows ??= new ConsoleFollows(nsp, options);
  return holder.stratusConsoleFollows;
}

/** The follow manager, if this process serves browsers. */
export function consoleFollows(): ConsoleFollows | undefined {
  return holder.stratusConsoleFollows;
}
