// `PUT /api/images/<id>/file`: the image's bytes, streamed straight to a staging file while their
// sha256 and size are computed (never held in memory), then checked against what the client declared
// (`X-Image-Size`, `X-Image-Sha256` or `?checksum=`) and by qemu-img, and only then renamed into the
// store with the image going active. Status: queued → saving → active. Any failure (mismatch, a body
// cut short, a client that goes away, a file that is not a disk image of the declared format)
// deletes the staging file and puts the image back to `queued`, as Glance v2 does, so the owner can
// simply upload again; nothing half-done remains.
import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { z } from "zod";
import type { RequestContext } from "@/lib/agent-protocol";
import { readCookie, resolveSession, SESSION_COOKIE } from "@/server/auth/session";
import { config } from "@/server/config";
import { db } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { canModifyImage, canSeeImage } from "./image-access";
import { diskImageProblem } from "./image-check";
import { publishImage } from "./image-events";
import { imageFilePath, imageStoreDir, stagingFilePath } from "./image-store";
import { toImageView } from "./image-view";
import { HttpError, replyError, replyJson, REQUEST_ID_HEADER } from "./http-reply";
import { DISK_FORMATS, imageInfo, QemuImgError } from "./qemu-img";

/** How much of a refused upload's remaining body is read and thrown away before the connection is cut. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 30_000;

const MODULE = "stratus.image.upload";

const sha256Hex = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9a-f]{64}$/, "must be a sha256 as 64 hex digits");
const byteCount = z.string().trim().regex(/^\d{1,16}$/, "must be a number of bytes").transform(Number);

const uploadHeadersSchema = z.object({
  "x-image-size": byteCount.optional(),
  "x-image-sha256": sha256Hex.optional(),
  "content-length": byteCount.optional(),
});

/** What the client said it sends: the checks the received bytes must pass. */
interface Declared {
  size: number | null;
  sha256: string | null;
}

function parseDeclared(req: IncomingMessage, url: URL): Declared {
  const headers = uploadHeadersSchema.safeParse(req.headers);
  if (!headers.success) {
    const issue = headers.error.issues[0];
    throw new HttpError(400, `Invalid header ${String(issue?.path[0] ?? "")}: ${issue?.message ?? "malformed"}`);
  }
  const query = url.searchParams.get("checksum");
  const fromQuery = query === null ? undefined : sha256Hex.safeParse(query);
  if (fromQuery && !fromQuery.success) throw new HttpError(400, "Invalid checksum parameter: must be a sha256 as 64 hex digits");
  const h = headers.data;
  const sha = h["x-image-sha256"] ?? fromQuery?.data ?? null;
  if (h["x-image-sha256"] && fromQuery?.data && h["x-image-sha256"] !== fromQuery.data) {
    throw new HttpError(400, "X-Image-Sha256 and ?checksum= disagree");
  }
  const size = h["x-image-size"] ?? null;
  const cap = config.STRATUS_IMAGE_SIZE_CAP;
  for (const [what, n] of [["X-Image-Size", size], ["Content-Length", h["content-length"] ?? null]] as const) {
    if (n !== null && n > cap) throw new HttpError(413, `Image exceeds the storage quota: ${what} ${n} bytes is over the ${cap}-byte image size cap`);
  }
  return { size, sha256: sha };
}

/** Passes bytes through, hashing and counting them, and stops the stream past `limit`. */
class Measure extends Transform {
  bytes = 0;
  private readonly hash = createHash("sha256");
  constructor(private readonly limit: { bytes: number; error: () => HttpError }) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit.bytes) return callback(this.limit.error());
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest("hex");
  }
}

/**
 * Streams the request body through `measure` into `file`. Unlike stream.pipeline it leaves the
 * request open when `measure` refuses the data, so the refusal can still be answered.
 */
function receiveBody(req: IncomingMessage, measure: Measure, file: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      req.unpipe(measure);
      measure.unpipe(file);
      file.destroy();
      reject(err);
    };
    req.once("error", fail);
    req.once("close", () => {
      if (!req.complete) fail(new Error("the connection closed before the end of the body"));
    });
    measure.once("error", fail);
    file.once("error", fail);
    // "close", not "finish": the file descriptor is closed before the file is renamed.
    file.once("close", () => {
      if (settled) return;
      settled = true;
      if (file.writableFinished) resolve();
      else reject(new Error("the staging file closed early"));
    });
    req.pipe(measure).pipe(file);
  });
}

async function callerOf(req: IncomingMessage) {
  const identity = await resolveSession(readCookie(req.headers.cookie, SESSION_COOKIE));
  if (!identity) throw new HttpError(401, "Authentication required.");
  return identity;
}

async function setStatus(id: string, from: string, data: { status: string; size?: bigint; checksum?: string; virtualSize?: bigint }): Promise<boolean> {
  const { count } = await db.image.updateMany({ where: { id, status: from }, data });
  if (count > 0) {
    const image = await db.image.findUnique({ where: { id } });
    if (image) publishImage(toImageView(image));
  }
  return count > 0;
}

export async function handleImageUpload(req: IncomingMessage, res: ServerResponse, id: string, requestId: string): Promise<void> {
  const url = new URL(req.url ?? "/", "http://controller");
  let ctx: RequestContext = { requestId, userId: null, projectId: null };
  let saving = false;
  let staging: string | null = null;
  const started = Date.now();
  try {
    const identity = await callerOf(req);
    ctx = { requestId, userId: identity.user.id, projectId: identity.project.id };
    const caller = { projectId: identity.project.id, isAdmin: identity.role === "admin" };
    const image = await db.image.findUnique({ where: { id } });
    if (!image || !canSeeImage(caller, image)) throw new HttpError(404, `No image found with ID ${id}`);
    if (!canModifyImage(caller, image)) throw new HttpError(403, `You are not permitted to upload data for image ${id}`);
    const format = z.enum(DISK_FORMATS).safeParse(image.diskFormat);
    if (!format.success) throw new HttpError(400, `Image ${id} has unsupported disk format ${image.diskFormat}`);
    const declared = parseDeclared(req, url);

    // Compare-and-swap: of two concurrent uploads, exactly one gets `saving`.
    if (!(await setStatus(id, "queued", { status: "saving" }))) {
      const now = await db.image.findUnique({ where: { id } });
      throw new HttpError(409, `Image ${id} is not queued for upload (status: ${now?.status ?? "deleted"}); image data can be uploaded once`);
    }
    saving = true;
    const log = getLogger(MODULE, ctx);
    log.info(`Receiving data for image ${image.name} (${id})${declared.size === null ? "" : `, ${declared.size} bytes declared`}`);

    const dir = imageStoreDir();
    await mkdir(dir, { recursive: true });
    staging = stagingFilePath(id, dir);
    const cap = config.STRATUS_IMAGE_SIZE_CAP;
    const measure = new Measure(
      declared.size === null
        ? { bytes: cap, error: () => new HttpError(413, `Image exceeds the ${cap}-byte image size cap`) }
        : {
            bytes: declared.size,
            error: () => new HttpError(400, `Image size mismatch: received more than the declared ${declared.size} bytes`),
          },
    );
    try {
      await receiveBody(req, measure, createWriteStream(staging, { flags: "wx" }));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, `Image upload aborted after ${measure.bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
    }
    const size = measure.bytes;
    const sha256 = measure.digest();
    if (declared.size !== null && size !== declared.size) {
      throw new HttpError(400, `Image size mismatch: declared ${declared.size} bytes, received ${size}`);
    }
    if (declared.sha256 !== null && sha256 !== declared.sha256) {
      throw new HttpError(400, `Checksum verification failed: received data has sha256 ${sha256}, expected ${declared.sha256}`);
    }

    let info;
    try {
      info = await imageInfo(staging);
    } catch (err) {
      if (err instanceof QemuImgError) throw new HttpError(400, `Image ${id} is not a ${format.data} disk image: ${err.message}`);
      throw err;
    }
    const problem = diskImageProblem(info, format.data, size);
    if (problem) throw new HttpError(400, `Image ${id} is unacceptable: ${problem}`);

    const final = imageFilePath(id, dir);
    await rename(staging, final);
    staging = null;
    const activated = await setStatus(id, "saving", {
      status: "active",
      size: BigInt(size),
      checksum: sha256,
      virtualSize: BigInt(info.virtualSize),
    });
    saving = false;
    if (!activated) {
      // Deleted while we were receiving: its data must not outlive it.
      await rm(final, { force: true });
      throw new HttpError(409, `Image ${id} was deleted during the upload`);
    }
    const seconds = (Date.now() - started) / 1000;
    log.info(
      `Image ${image.name} (${id}) is active: ${size} bytes, virtual size ${info.virtualSize}, sha256 ${sha256} ` +
        `(${seconds.toFixed(2)} s, ${(size / 1024 / 1024 / Math.max(seconds, 0.001)).toFixed(1)} MiB/s)`,
    );
    const row = await db.image.findUniqueOrThrow({ where: { id } });
    replyJson(res, 200, toImageView(row), { [REQUEST_ID_HEADER]: requestId });
  } catch (err) {
    const log = getLogger(MODULE, ctx);
    if (staging) await rm(staging, { force: true }).catch(() => undefined);
    if (saving) {
      await setStatus(id, "saving", { status: "queued" }).catch((e: unknown) => log.error({ err: e }, `Could not put image ${id} back to queued`));
    }
    const requeued = saving ? "; the image is queued again" : "";
    if (err instanceof HttpError) log.warn(`Upload of image ${id} refused: ${err.message}${requeued}`);
    else log.error({ err }, `Upload of image ${id} failed${requeued}`);
    const failure = err instanceof HttpError ? err : new HttpError(500, "The image upload failed; see the controller log");
    replyError(res, new HttpError(failure.status, failure.message, { ...failure.headers, [REQUEST_ID_HEADER]: requestId }), requestId);
    if (!req.complete && !req.destroyed) {
      // Discard what the client still sends, so it can finish writing and read the answer: closing
      // under a client that is still writing fails its request with EPIPE instead of this error.
      // A body that keeps coming past a bound (bytes or time) is cut off.
      let discarded = 0;
      const cutOff = () => req.destroy();
      const timer = setTimeout(cutOff, DISCARD_MAX_MS);
      timer.unref();
      req.on("data", (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DISCARD_MAX_BYTES) cutOff();
      });
      req.once("end", () => clearTimeout(timer));
      req.resume();
    }
  }
}
