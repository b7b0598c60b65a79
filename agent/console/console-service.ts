// The agent's half of the console log: answers get_console_output from the file libvirt captures
// the serial console into (`<instances>/<uuid>/console.log`), and follows that file for as long as
// some controller holds a follow lease on it, pushing appended chunks as `agent:console`.
//
// Why follow on demand, by lease, rather than follow every instance all the time: console bytes
// then cross the network only while somebody looks at them, and nothing needs cleaning up when a
// controller dies (its leases lapse) or several controllers serve browsers (each holds its own
// lease, so one stopping never cuts off another's viewers). A lost lease costs a short gap that
// the browser detects by offset and heals by refetching the tail.
import {
  AGENT_CONSOLE_EVENT,
  CONSOLE_MAX_BYTES,
  CONSOLE_MAX_TAIL_LINES,
  CONSOLE_RPC_METHODS,
  consoleChunkSchema,
  consoleRpcSchema,
  type Ack,
  type ConsoleOutput,
  type ConsoleRpc,
} from "@/lib/agent-protocol";
import { getLogger } from "@/server/logs/logger";
import type { Hypervisor } from "../driver/hypervisor";
import type { AckSender } from "../outbox";
import { ConsoleFollower, type ConsoleChunk, type FollowerTuning } from "./console-follower";
import { readTail } from "./tail-reader";

/** Stated only when it is the cause: libvirt's test driver never writes a console log. */
export const TEST_HYPERVISOR_REASON = "The test hypervisor produces no console output";
export const NO_DOMAIN_REASON = "The instance has no domain on its host, so it has no console log";
export const NOT_STARTED_REASON = "There is no console log yet: the guest has not been started on its host since it was defined";
export const NO_LOG_REASON = "There is no console log for this instance on its host";

/**
 * Socket.IO refuses messages over 1 MB; JSON escapes of control characters can make text several
 * times longer than its bytes, so the reply is measured, and trimmed from the front if need be.
 */
const WIRE_BUDGET = 900_000;
/** Files followed at once; beyond this a follow is refused rather than exhaust inotify watches. */
const MAX_FOLLOWS = 512;

export interface ConsoleServiceOptions {
  host: string;
  consoleLogPath: (uuid: string) => string;
  /** The agent runs libvirt's test driver, which captures no console output. */
  testHypervisor: boolean;
  /** To tell "no domain" from "not started yet" when there is no file. */
  hypervisor?: Pick<Hypervisor, "domainState">;
  send: AckSender;
  tuning?: Partial<FollowerTuning>;
  now?: () => number;
}

interface Follow {
  follower: ConsoleFollower;
  /** holder → lease expiry (ms since epoch). */
  leases: Map<string, number>;
  timer: NodeJS.Timeout | null;
}

const log = (uuid?: string) => getLogger("stratus.compute.console", uuid ? { instanceUuid: uuid } : {});

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Drops whole lines from the front until the JSON-encoded text fits the wire budget. */
export function fitWire(text: string, budget = WIRE_BUDGET): { text: string; cut: boolean } {
  let out = text;
  let cut = false;
  while (out.length > 0 && Buffer.byteLength(JSON.stringify(out)) > budget) {
    const from = Math.max(1, Math.floor(out.length / 4));
    const newline = out.indexOf("\n", from);
    out = newline >= 0 && newline < out.length - 1 ? out.slice(newline + 1) : out.slice(from);
    cut = true;
  }
  return { text: out, cut };
}

export class ConsoleService {
  private readonly options: ConsoleServiceOptions;
  private readonly now: () => number;
  private readonly follows = new Map<string, Follow>();
  private online = false;
  private stopped = false;

  constructor(options: ConsoleServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** True for the RPCs this service answers (the compute manager takes the rest). */
  handles(raw: unknown): boolean {
    const method = (raw as { method?: unknown } | null)?.method;
    return typeof method === "string" && (CONSOLE_RPC_METHODS as readonly string[]).includes(method);
  }

  async handleRpc(raw: unknown): Promise<Ack> {
    if (this.stopped) return { ok: false, error: `compute service on ${this.options.host} is stopping` };
    const parsed = consoleRpcSchema.safeParse(raw);
    if (!parsed.success) {
      const error = `invalid rpc: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
      log().warn(`Refused console RPC: ${error}`);
      return { ok: false, error };
    }
    const rpc = parsed.data;
    try {
      if (rpc.method === "get_console_output") return { ok: true, ...(await this.consoleOutput(rpc)) };
      return await this.follow(rpc);
    } catch (err) {
      const uuid = rpc.method === "get_console_output" ? rpc.instance.uuid : rpc.uuid;
      getLogger("stratus.compute.console", { ...rpc.context, instanceUuid: uuid }).error({ err }, `${rpc.method} failed`);
      return { ok: false, error: `${rpc.method} failed: ${errorText(err)}` };
    }
  }

  /** Chunks flow only while registered with the controller; a paused follower resumes here. */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) for (const f of this.follows.values()) f.follower.resume();
  }

  /** The instances followed now, with their holders (tests and diagnostics). */
  followed(): Map<string, string[]> {
    return new Map([...this.follows].map(([uuid, f]) => [uuid, [...f.leases.keys()]]));
  }

  stop(): void {
    this.stopped = true;
    for (const uuid of [...this.follows.keys()]) this.unfollow(uuid, "the compute service is stopping");
  }

  /** Nova's get_console_output: the last lines of the console log, or why there are none. */
  async consoleOutput(rpc: Extract<ConsoleRpc, { method: "get_console_output" }>): Promise<ConsoleOutput> {
    const uuid = rpc.instance.uuid;
    const file = this.options.consoleLogPath(uuid);
    const tail = await readTail(file, {
      tailLines: Math.min(rpc.tailLines ?? CONSOLE_MAX_TAIL_LINES, CONSOLE_MAX_TAIL_LINES),
      maxBytes: Math.min(rpc.maxBytes ?? CONSOLE_MAX_BYTES, CONSOLE_MAX_BYTES),
    });
    const l = getLogger("stratus.compute.console", { ...rpc.context, instanceUuid: uuid });
    if (!tail) {
      const reason = await this.missingReason(uuid);
      l.debug(`No console log at ${file}: ${reason}`);
      return { text: "", available: false, truncated: false, reason, endOffset: 0 };
    }
    const fitted = fitWire(tail.text);
    l.debug(`Read ${tail.bytesRead} bytes of the console log (${tail.end - tail.start} returned of ${tail.size})`);
    return { text: fitted.text, available: true, truncated: tail.truncated || fitted.cut, endOffset: tail.end };
  }

  private async missingReason(uuid: string): Promise<string> {
    if (this.options.testHypervisor) return TEST_HYPERVISOR_REASON;
    if (!this.options.hypervisor) return NO_LOG_REASON;
    try {
      const state = await this.options.hypervisor.domainState(uuid);
      return state ? NOT_STARTED_REASON : NO_DOMAIN_REASON;
    } catch {
      return NO_LOG_REASON;
    }
  }

  private async follow(rpc: Extract<ConsoleRpc, { method: "console_follow" }>): Promise<Ack> {
    const { uuid, holder } = rpc;
    const existing = this.follows.get(uuid);
    if (rpc.action === "stop") {
      if (existing?.leases.delete(holder)) {
        if (existing.leases.size === 0) this.unfollow(uuid, `${holder} stopped watching`);
        else this.scheduleExpiry(uuid, existing);
      }
      return { ok: true, following: this.follows.has(uuid) };
    }
    let follow = existing;
    if (!follow) {
      if (this.follows.size >= MAX_FOLLOWS) {
        return { ok: false, error: `this host already follows ${MAX_FOLLOWS} console logs` };
      }
      const follower = new ConsoleFollower({
        file: this.options.consoleLogPath(uuid),
        emit: (chunk) => this.emit(uuid, chunk),
        onSkip: (bytes) => log(uuid).warn(`Console output is arriving faster than it can be streamed: skipped ${bytes} bytes`),
        ...this.options.tuning,
        now: this.now,
      });
      follow = { follower, leases: new Map(), timer: null };
      this.follows.set(uuid, follow);
      follow.leases.set(holder, this.now() + rpc.leaseSec * 1000);
      this.scheduleExpiry(uuid, follow);
      try {
        await follower.start();
      } catch (err) {
        this.unfollow(uuid, `cannot follow: ${errorText(err)}`);
        throw err;
      }
      // Answered once the follower stands at the end of the file: a tail read after this ack
      // reaches at least as far as the first chunk begins.
      log(uuid).info(`Following the console log from byte ${follower.offset} for ${holder} (${rpc.watchers} watching)`);
      return { ok: true, following: true, offset: follower.offset };
    }
    if (!follow.leases.has(holder)) log(uuid).debug(`${holder} also watches the console log (${rpc.watchers} watching)`);
    follow.leases.set(holder, this.now() + rpc.leaseSec * 1000);
    this.scheduleExpiry(uuid, follow);
    // A renewal is also a hint that something may have been missed: look at the file now.
    follow.follower.poke();
    return { ok: true, following: true, offset: follow.follower.offset };
  }

  private unfollow(uuid: string, why: string): void {
    const follow = this.follows.get(uuid);
    if (!follow) return;
    follow.follower.stop();
    if (follow.timer) clearTimeout(follow.timer);
    this.follows.delete(uuid);
    log(uuid).info(`Stopped following the console log: ${why}`);
  }

  /** Drops lapsed leases now and arms a timer for the next one to lapse. */
  private scheduleExpiry(uuid: string, follow: Follow): void {
    if (follow.timer) clearTimeout(follow.timer);
    follow.timer = null;
    const now = this.now();
    for (const [holder, expires] of follow.leases) {
      if (expires <= now) {
        follow.leases.delete(holder);
        log(uuid).info(`The console follow lease of ${holder} lapsed`);
      }
    }
    if (follow.leases.size === 0) {
      this.unfollow(uuid, "no controller renewed its lease");
      return;
    }
    const next = Math.min(...follow.leases.values());
    follow.timer = setTimeout(() => this.scheduleExpiry(uuid, follow), Math.max(0, next - now) + 10);
    follow.timer.unref();
  }

  private async emit(uuid: string, chunk: ConsoleChunk): Promise<boolean> {
    if (!this.online) return false;
    const message = consoleChunkSchema.parse({ uuid, ...chunk });
    let reply: unknown;
    try {
      reply = await this.options.send(AGENT_CONSOLE_EVENT, message);
    } catch {
      return false; // not delivered: the follower waits for setOnline(true)
    }
    const error = (reply as { ok?: unknown; error?: unknown } | null)?.ok === true ? null : (reply as { error?: unknown } | null)?.error;
    if (error !== null && error !== undefined) {
      // Refused (the instance left this host, say): nobody will take these bytes; do not retry them.
      log(uuid).warn(`The controller refused a console chunk: ${String(error)}`);
    }
    return true;
  }
}
