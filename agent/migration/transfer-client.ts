// The source's end of a disk transfer: hashes the disk, then streams it with one PUT to the
// destination's slot, reporting progress as bytes go out. The destination answers only when the
// disk is in place and verified, so a 200 means the copy is whole.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TRANSFER_HEADERS } from "@/lib/migration-protocol";

/** Reads in 1 MiB pieces: 16× fewer chunks than the default to hash, count and write. */
const CHUNK = 1024 * 1024;
/** A limited send reads pieces of about this long at its rate, so it paces smoothly. */
const PACE_MS = 100;

/** How long a failed write waits for the destination's answer before it counts as the error. */
const RESPONSE_GRACE_MS = 2000;

export interface SendProgress {
  sent: number;
  total: number;
}

export interface SentDisk {
  bytes: number;
  sha256: string;
  seconds: number;
}

async function sha256Of(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    hash.update(chunk);
  }
  return hash.digest("hex");
}

export async function sendDisk(o: {
  url: string;
  token: string;
  uuid: string;
  file: string;
  onProgress?: (p: SendProgress) => void;
  signal?: AbortSignal;
  /** The most bytes per second to send (STRATUS_TRANSFER_BANDWIDTH); absent or 0: no limit. */
  bytesPerSec?: number;
}): Promise<SentDisk> {
  const started = Date.now();
  const total = (await stat(o.file)).size;
  const sha256 = await sha256Of(o.file, o.signal);
  const rate = o.bytesPerSec && o.bytesPerSec > 0 ? o.bytesPerSec : 0;
  const piece = rate ? Math.max(16 * 1024, Math.min(CHUNK, Math.floor((rate * PACE_MS) / 1000))) : CHUNK;
  let sent = 0;
  let paceFrom = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // Pacing starts with the first piece, after the hash: the limit is on the wire, not the disk.
      paceFrom ||= Date.now();
      sent += chunk.length;
      o.onProgress?.({ sent, total });
      const ahead = rate ? paceFrom + (sent / rate) * 1000 - Date.now() : 0;
      if (ahead > 0) setTimeout(() => cb(null, chunk), ahead);
      else cb(null, chunk);
    },
  });
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      o.url,
      {
        method: "PUT",
        headers: {
          authorization: `Bearer ${o.token}`,
          "content-type": "application/octet-stream",
          "content-length": String(total),
          [TRANSFER_HEADERS.sha256]: sha256,
          [TRANSFER_HEADERS.instance]: o.uuid,
        },
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d.length + body.length < 64 * 1024 ? d : ""));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    // A destination that refuses answers at once and closes while we still write: the write then
    // fails (EPIPE, reset), but its answer says why. Give that answer a moment to arrive.
    const failed = (err: unknown) => setTimeout(() => reject(err), RESPONSE_GRACE_MS);
    req.on("error", failed);
    pipeline(createReadStream(o.file, { highWaterMark: piece }), meter, req).catch(failed);
  });
  if (answer.status !== 200) {
    let reason = answer.body;
    try {
      reason = (JSON.parse(answer.body) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(`the destination refused the disk (HTTP ${answer.status}): ${reason}`);
  }
  return { bytes: total, sha256, seconds: (Date.now() - started) / 1000 };
}
