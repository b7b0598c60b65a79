// The destination's end of a disk transfer: an HTTP listener that accepts one PUT per expected
// migration. The conductor makes a one-time token per migration and hands it to both hosts; only
// a request with that token (compared in constant time), for that instance, is written — to a
// `.part` file beside the target, hashed as it arrives, and renamed into place only when its
// length and SHA-256 match what the source declared. Anything else is refused with a reason and
// leaves no file behind.
import { createHash, timingSafeEqual } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { TRANSFER_HEADERS } from "@/lib/migration-protocol";
import { getLogger } from "@/server/logs/logger";

const log = () => getLogger("stratus.compute.migration");
const PATH = /^\/migrations\/(\d+)\/disk$/;

export interface TransferSlot {
  migrationId: number;
  uuid: string;
  token: string;
  /** Where the disk goes once it is complete and verified. */
  target: string;
  /** The slot closes by itself after this long. */
  ttlMs: number;
}

interface OpenSlot extends TransferSlot {
  expires: number;
  busy: boolean;
  /** Resolves with the received size once the disk is in place. */
  done: Promise<number>;
  resolve: (bytes: number) => void;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, req?: IncomingMessage): void {
  if (res.headersSent) return;
  // A refused body is drained, not cut off: the sender then reads our reason instead of EPIPE.
  req?.resume();
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export class TransferServer {
  private server: Server | null = null;
  private readonly slots = new Map<number, OpenSlot>();
  private port = 0;

  constructor(
    private readonly options: {
      /** Address to listen on. */
      address: string;
      /** 0: any free port. */
      port: number;
      /** The name other hosts reach this one by (default: the listen address). */
      advertise?: string;
    },
  ) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.address, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    log().info(`Accepting migration disk transfers on ${this.options.address}:${this.port}`);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The URL the source sends this migration's disk to. */
  url(migrationId: number): string {
    if (!this.server) throw new Error("the transfer server is not running");
    const host = this.options.advertise ?? this.options.address;
    return `http://${host.includes(":") ? `[${host}]` : host}:${this.port}/migrations/${migrationId}/disk`;
  }

  /** Opens (or re-opens, for a retried prep) the slot; returns a promise of the received size. */
  expect(slot: TransferSlot): Promise<number> {
    this.sweep();
    let resolve!: (bytes: number) => void;
    const done = new Promise<number>((r) => (resolve = r));
    this.slots.set(slot.migrationId, { ...slot, expires: Date.now() + slot.ttlMs, busy: false, done, resolve });
    return done;
  }

  /** Closes the slot (a revert, a failed migration). */
  cancel(migrationId: number): void {
    this.slots.delete(migrationId);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.slots) if (s.expires < now) this.slots.delete(id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const m = PATH.exec(req.url ?? "");
      if (req.method !== "PUT" || !m) return reply(res, 404, { error: "only PUT /migrations/<id>/disk is served here" }, req);
      this.sweep();
      const slot = this.slots.get(Number(m[1]));
      const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      if (!slot || !sameToken(auth, slot.token)) {
        log().warn(`Refused a disk transfer for migration ${m[1]} from ${req.socket.remoteAddress}: no open slot for that token`);
        return reply(res, 403, { error: "no transfer is expected with this token" }, req);
      }
      if (req.headers[TRANSFER_HEADERS.instance] !== slot.uuid) return reply(res, 400, { error: "the transfer names another instance" }, req);
      const declared = String(req.headers[TRANSFER_HEADERS.sha256] ?? "");
      const length = Number(req.headers["content-length"]);
      if (!/^[0-9a-f]{64}$/.test(declared) || !Number.isSafeInteger(length) || length < 0) {
        return reply(res, 400, { error: `a transfer declares its length and ${TRANSFER_HEADERS.sha256}` }, req);
      }
      if (slot.busy) return reply(res, 409, { error: "a transfer for this migration is already running" }, req);
      slot.busy = true;
      try {
        const bytes = await this.receive(req, slot, declared, length);
        this.slots.delete(slot.migrationId);
        slot.resolve(bytes);
        reply(res, 200, { bytes, sha256: declared });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log().warn(`Disk transfer for migration ${slot.migrationId} failed: ${message}`);
        reply(res, 422, { error: message });
      } finally {
        slot.busy = false;
      }
    } catch (err) {
      log().error({ err }, "Disk transfer handler failed");
      reply(res, 500, { error: "internal error" });
    }
  }

  private async receive(req: IncomingMessage, slot: OpenSlot, declared: string, length: number): Promise<number> {
    const part = `${slot.target}.part`;
    await mkdir(path.dirname(slot.target), { recursive: true });
    const hash = createHash("sha256");
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (bytes > length) return cb(new Error(`more than the declared ${length} bytes arrived`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(req, count, createWriteStream(part, { highWaterMark: 1024 * 1024 }));
      if (bytes !== length) throw new Error(`the transfer ended after ${bytes} of ${length} bytes`);
      const actual = hash.digest("hex");
      if (actual !== declared) throw new Error(`checksum mismatch: received ${actual}, the source declared ${declared}`);
      await rename(part, slot.target);
      return bytes;
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }
}
