// The agent's one Socket.IO connection to the controller's /agent namespace: authenticates with
// the host's token, registers (resources and domains) on every (re)connect, heartbeats, receives
// RPCs, and carries the outbox and the log shipper. It never gives up: a controller that is down
// or refuses the handshake is retried with backoff.
import { io, type Socket } from "socket.io-client";
import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  AGENT_PROTOCOL_VERSION,
  heartbeatSchema,
  RPC_EVENT,
  registerAckSchema,
  type Ack,
  type DomainReport,
  type RegisterAck,
  type RegisterPayload,
} from "@/lib/agent-protocol";
import { getLogger } from "@/server/logs/logger";

type AckCallback = (reply: unknown) => void;
interface ControllerEvents {
  [RPC_EVENT]: (payload: unknown, ack?: AckCallback) => void;
}
interface AgentEvents {
  [event: string]: (payload: unknown, ack: AckCallback) => void;
}
type AgentSocket = Socket<ControllerEvents, AgentEvents>;

export interface AgentConnectionOptions {
  controllerUrl: string;
  host: string;
  token: string;
  ackTimeoutMs: number;
  /** Reads what to register: node resources and current domains, fresh from the hypervisor. */
  registration: () => Promise<RegisterPayload>;
  /** Called after each successful registration with the database's view of this host. */
  onRegistered: (ack: RegisterAck) => void;
  /** Registered and able to exchange messages, or not. */
  onOnline: (online: boolean) => void;
  /** The domains to report with each heartbeat (the controller's running_vms); undefined to omit. */
  heartbeatDomains?: () => Promise<DomainReport[] | undefined>;
  /** Handles one RPC; the returned ack is sent back as soon as it is ready. */
  onRpc: (payload: unknown) => Ack | Promise<Ack>;
  /** Upper bound of the retry backoff. */
  maxBackoffMs?: number;
}

const log = () => getLogger("stratus.compute.connection");

export class AgentConnection {
  private readonly socket: AgentSocket;
  private readonly options: AgentConnectionOptions;
  private readonly maxBackoffMs: number;
  private registered = false;
  private registering = false;
  /** A registration was asked for while one was running (e.g. after a hypervisor reset). */
  private registerAgain = false;
  private registerFailures = 0;
  private connectFailures = 0;
  private lastConnectError = "";
  private heartbeat: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private registerRetry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: AgentConnectionOptions) {
    this.options = options;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.socket = io(`${options.controllerUrl}${AGENT_NAMESPACE}`, {
      auth: { host: options.host, token: options.token, protocol: AGENT_PROTOCOL_VERSION },
      transports: ["websocket"],
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: this.maxBackoffMs,
      randomizationFactor: 0.5,
      autoConnect: false,
    });
    this.socket.on("connect", () => this.onConnect());
    this.socket.on("disconnect", (reason) => this.onDisconnect(reason));
    this.socket.on("connect_error", (err) => this.onConnectError(err));
    this.socket.on(RPC_EVENT, (payload, ack) => {
      const answer = (reply: Ack) => {
        if (typeof ack === "function") ack(reply);
      };
      const failed = (err: unknown): Ack => ({ ok: false, error: `agent error: ${err instanceof Error ? err.message : String(err)}` });
      let reply: Ack | Promise<Ack>;
      try {
        reply = this.options.onRpc(payload);
      } catch (err) {
        reply = failed(err);
      }
      // Calls that read something (the console log) answer with a payload once it is read.
      if (reply instanceof Promise) reply.then(answer, (err: unknown) => answer(failed(err)));
      else answer(reply);
    });
  }

  get online(): boolean {
    return this.registered && this.socket.connected;
  }

  start(): void {
    log().info(`Connecting to the controller at ${this.options.controllerUrl}${AGENT_NAMESPACE}`);
    this.socket.connect();
  }

  /**
   * Sends one message and resolves with the controller's ack; rejects when it is not delivered.
   * Only sends while connected, so socket.io never buffers a copy to replay behind our back.
   */
  send = (event: string, payload: unknown): Promise<unknown> => {
    if (!this.socket.connected) return Promise.reject(new Error("not connected to the controller"));
    return this.socket.timeout(this.options.ackTimeoutMs).emitWithAck(event, payload);
  };

  /** Registers again (fresh resources and domains, fresh database view) if connected. */
  requestRegister(): void {
    if (!this.socket.connected) return; // the next connect registers anyway
    if (this.registering) {
      this.registerAgain = true;
      return;
    }
    void this.register();
  }

  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.registerRetry) clearTimeout(this.registerRetry);
    this.setRegistered(false);
    this.socket.disconnect();
  }

  private onConnect(): void {
    this.connectFailures = 0;
    this.lastConnectError = "";
    log().info(`Connected to the controller (socket ${this.socket.id})`);
    this.requestRegister();
  }

  private onDisconnect(reason: string): void {
    this.stopHeartbeat();
    this.setRegistered(false);
    if (this.closed) return;
    log().warn(`Lost the connection to the controller: ${reason}; reconnecting`);
    // A server-side disconnect is not retried by socket.io itself.
    if (reason === "io server disconnect") this.scheduleConnect();
  }

  private onConnectError(err: Error): void {
    this.connectFailures++;
    const refused = !this.socket.active;
    const message = err.message;
    // Log the first failure and every change, then only now and again, to keep the log readable.
    if (message !== this.lastConnectError || this.connectFailures % 20 === 0) {
      const text = refused
        ? `The controller refused this agent: ${message}; retrying with backoff`
        : `Cannot reach the controller at ${this.options.controllerUrl}: ${message}; retrying`;
      if (refused) log().error(text);
      else log().warn(text);
    }
    this.lastConnectError = message;
    // A refusal by the server's middleware is final for socket.io; we keep trying regardless.
    if (refused) this.scheduleConnect();
  }

  private scheduleConnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.backoff(this.connectFailures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private backoff(failures: number): number {
    const base = Math.min(1000 * 2 ** Math.max(0, failures - 1), this.maxBackoffMs);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private async register(): Promise<void> {
    if (this.registering || this.closed) return;
    this.registering = true;
    this.registerAgain = false;
    try {
      const payload = await this.options.registration();
      if (!this.socket.connected) return;
      const raw: unknown = await this.socket.timeout(this.options.ackTimeoutMs).emitWithAck(AGENT_EVENTS.register, payload);
      const ack = registerAckSchema.safeParse(raw);
      if (!ack.success) {
        const refusal = (raw as { error?: unknown } | null)?.error;
        throw new Error(
          typeof refusal === "string" ? `the controller refused the registration: ${refusal}` : "malformed registration ack",
        );
      }
      this.registerFailures = 0;
      log().info(
        `Registered with the controller: ${payload.node.vcpus} vCPUs, ${payload.node.memoryMb} MB RAM, ` +
          `${payload.node.localGb} GB disk, ${payload.domains.length} domains; ` +
          `the database places ${ack.data.instances.length} instances here`,
      );
      this.startHeartbeat(ack.data.heartbeatIntervalSec);
      this.setRegistered(true);
      this.options.onRegistered(ack.data);
    } catch (err) {
      this.registerFailures++;
      const delay = this.backoff(this.registerFailures);
      const reason = err instanceof Error ? err.message : String(err);
      log().error(`Registration with the controller failed: ${reason}; retrying in ${Math.round(delay / 1000)} s`);
      this.registerAgain = false;
      if (this.registerRetry) clearTimeout(this.registerRetry);
      this.registerRetry = setTimeout(() => {
        this.registerRetry = null;
        if (!this.closed && this.socket.connected) void this.register();
      }, delay);
    } finally {
      this.registering = false;
    }
    if (this.registerAgain && this.socket.connected) void this.register();
  }

  private setRegistered(registered: boolean): void {
    if (this.registered === registered) return;
    this.registered = registered;
    this.options.onOnline(registered);
  }

  private startHeartbeat(intervalSec: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => void this.beat(), intervalSec * 1000);
  }

  private async beat(): Promise<void> {
    if (!this.socket.connected) return;
    // A busy hypervisor must not delay the heartbeat (the service would look down): the domain
    // list goes along only if it comes quickly.
    const domains = await Promise.race([
      this.options.heartbeatDomains?.().catch(() => undefined),
      new Promise<undefined>((resolve) => setTimeout(resolve, 1000)),
    ]);
    const beat = heartbeatSchema.parse({ host: this.options.host, time: new Date().toISOString(), ...(domains ? { domains } : {}) });
    try {
      const reply = (await this.send(AGENT_EVENTS.heartbeat, beat)) as { error?: unknown } | null;
      if (typeof reply?.error === "string") log().warn(`Heartbeat refused by the controller: ${reply.error}`);
    } catch {
      log().warn("Heartbeat not acknowledged by the controller");
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
