// `GET /api/images/<id>/file` (and HEAD): an active image's bytes, streamed from the store with
// Content-Length, the sha256 the agent verifies (`X-Image-Sha256`) and single-range support.
// Compute agents authenticate with their host token (`Authorization: Bearer <token>` plus
// `X-Stratus-Host`, the same credential as their socket); users with their session cookie.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { verifyAgentToken } from "@/server/auth/agent-token";
import { readCookie, resolveSession, SESSION_COOKIE } from "@/server/auth/session";
import { db, type Image } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { canSeeImage } from "./image-access";
import { imageFilePath } from "./image-store";
import { HttpError, REQUEST_ID_HEADER } from "./http-reply";

const MODULE = "stratus.image.download";

type Requester = { kind: "agent"; host: string } | { kind: "user"; projectId: string; isAdmin: boolean };

async function requesterOf(req: IncomingMessage): Promise<Requester> {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    const host = req.headers["x-stratus-host"];
    if (!token || typeof host !== "string" || !(await verifyAgentToken(host, token))) {
      throw new HttpError(401, "Unknown agent credentials: send Authorization: Bearer <host token> and X-Stratus-Host: <host>");
    }
    return { kind: "agent", host };
  }
  const identity = await resolveSession(readCookie(req.headers.cookie, SESSION_COOKIE));
  if (!identity) throw new HttpError(401, "Authentication required.");
  return { kind: "user", projectId: identity.project.id, isAdmin: identity.role === "admin" };
}

/** The byte range asked for: null for the whole file; a bad or unsatisfiable range is a 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges would need multipart/byteranges: serve the whole file instead (RFC 9110 allows it).
  if (!m || (m[1] === "" && m[2] === "")) return header.includes(",") ? null : unsatisfiable(size);
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) unsatisfiable(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): never {
  throw new HttpError(416, "Requested range not satisfiable", { "content-range": `bytes */${size}` });
}

async function visibleImage(requester: Requester, id: string): Promise<Image> {
  const image = await db.image.findUnique({ where: { id } });
  // Agents build whatever the controller scheduled to them; users see what their project may see.
  const visible = image && (requester.kind === "agent" ? image.status !== "deleted" : canSeeImage(requester, image));
  if (!image || !visible) throw new HttpError(404, `No image found with ID ${id}`);
  if (image.status !== "active") throw new HttpError(409, `Image ${id} is not active (status: ${image.status}); it has no data to download`);
  return image;
}

export async function handleImageDownload(req: IncomingMessage, res: ServerResponse, id: string, requestId: string): Promise<void> {
  const requester = await requesterOf(req);
  const image = await visibleImage(requester, id);
  const file = imageFilePath(id);
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      getLogger(MODULE, { requestId }).error(`Image ${id} is active but its file ${file} is missing from the store`);
      throw new HttpError(503, `The data of image ${id} is missing from the image store`);
    },
  );
  const range = parseRange(req.headers.range, size);
  const headers: Record<string, string | number> = {
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    [REQUEST_ID_HEADER]: requestId,
    ...(image.checksum ? { "x-image-sha256": image.checksum, etag: `"${image.checksum}"` } : {}),
  };
  if (range) {
    res.writeHead(206, { ...headers, "content-length": range.end - range.start + 1, "content-range": `bytes ${range.start}-${range.end}/${size}` });
  } else {
    res.writeHead(200, { ...headers, "content-length": size });
  }
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const who = requester.kind === "agent" ? `host ${requester.host}` : `project ${requester.projectId}`;
  getLogger(MODULE, { requestId }).info(
    `Sending image ${image.name} (${id}) to ${who}: ${range ? `bytes ${range.start}-${range.end} of ${size}` : `${size} bytes`}`,
  );
  try {
    await pipeline(createReadStream(file, range ?? {}), res);
  } catch (err) {
    // The receiver went away mid-file; it verifies size and checksum, so it will not use a stub.
    getLogger(MODULE, { requestId }).warn(`Sending image ${id} to ${who} stopped: ${err instanceof Error ? err.message : String(err)}`);
  }
}
