// A minimal controller for agent tests: a real Socket.IO server with the /agent namespace, token
// auth and acks, recording what agents send; restartable on the same port. Its image service knows
// every image id as the same small blank raw disk.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import { AGENT_EVENTS, AGENT_NAMESPACE, RPC_EVENT, type RegisterAck, type RegisterPayload } from "@/lib/agent-protocol";

export const TOKEN = "a-good-token-0123456789";

type Reply = (a: unknown) => void;

export class SocketController {
  http: HttpServer | null = null;
  io: Server | null = null;
  port = 0;
  acceptedToken = TOKEN;
  heartbeatIntervalSec = 0.05;
  /** What the next registrations are told the database places on the host. */
  instances: RegisterAck["instances"] = [];
  registrations: RegisterPayload[] = [];
  heartbeats = 0;
  /** Every report in arrival order: [event, payload]. */
  reports: [string, Record<string, unknown>][] = [];
  /** Answers to instance updates (default: applied). */
  updateReply: (payload: Record<string, unknown>) => unknown = () => ({ ok: true, applied: true });

  /** The bytes of every image: 1 MiB of zeros is a valid raw disk. */
  imageData = Buffer.alloc(1024 * 1024);
  imageDownloads = 0;

  /** `GET /api/images/<id>/file` with the agent's token, as the controller serves it. */
  private serveImage(req: IncomingMessage, res: ServerResponse): void {
    if (!/^\/api\/images\/[0-9a-f-]{36}\/file$/.test(req.url ?? "")) return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${this.acceptedToken}`) return void res.writeHead(401).end();
    this.imageDownloads++;
    res.writeHead(200, { "content-length": this.imageData.length }).end(this.imageData);
  }

  async start(port = 0): Promise<void> {
    this.http = createServer((req, res) => this.serveImage(req, res));
    this.io = new Server(this.http);
    const nsp = this.io.of(AGENT_NAMESPACE);
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: string; host?: string };
      next(auth.token === this.acceptedToken ? undefined : new Error(`unauthorized: unknown token for host ${auth.host}`));
    });
    nsp.on("connection", (socket: Socket) => {
      socket.on(AGENT_EVENTS.register, (p: RegisterPayload, ack: Reply) => {
        this.registrations.push(p);
        ack({ ok: true, heartbeatIntervalSec: this.heartbeatIntervalSec, instances: this.instances });
      });
      socket.on(AGENT_EVENTS.heartbeat, (_p: unknown, ack: Reply) => {
        this.heartbeats++;
        ack({ ok: true });
      });
      for (const event of [AGENT_EVENTS.instanceUpdate, AGENT_EVENTS.actionEvent, AGENT_EVENTS.powerReport]) {
        socket.on(event, (p: Record<string, unknown>, ack: Reply) => {
          this.reports.push([event, p]);
          ack(event === AGENT_EVENTS.instanceUpdate ? this.updateReply(p) : { ok: true });
        });
      }
      socket.on(AGENT_EVENTS.logs, (_p: unknown, ack: Reply) => ack({ ok: true }));
    });
    await new Promise<void>((resolve) => this.http!.listen(port, "127.0.0.1", resolve));
    this.port = (this.http.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const io = this.io;
    this.io = null;
    this.http = null;
    if (io) await new Promise<void>((resolve) => void io.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls the first connected agent as the controller's agent-rpc does. */
  async rpc(payload: unknown): Promise<unknown> {
    const [socket] = await this.io!.of(AGENT_NAMESPACE).fetchSockets();
    if (!socket) throw new Error("no agent connected");
    return socket.timeout(2000).emitWithAck(RPC_EVENT, payload);
  }

  updatesFor(uuid: string): Record<string, unknown>[] {
    return this.reports.filter(([e, p]) => e === AGENT_EVENTS.instanceUpdate && p.uuid === uuid).map(([, p]) => p);
  }
}
