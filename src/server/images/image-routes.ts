// The image service's HTTP routes next to tRPC: `/api/images/<id>/file` — PUT uploads the image's
// data (session), GET/HEAD download it (agent token or session). Bytes do not fit tRPC's JSON.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { getLogger } from "@/server/logs/logger";
import { handleImageDownload } from "./image-download";
import { handleImageUpload } from "./image-upload";
import { HttpError, replyError } from "./http-reply";

const FILE_ROUTE = /^\/api\/images\/([0-9a-fA-F-]{36})\/file$/;

/** Serves the request if it is an image route; false lets the caller try other routes. */
export function handleImageRequest(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!path.startsWith("/api/images/")) return false;
  const requestId = `req-${randomUUID()}`;
  const id = FILE_ROUTE.exec(path)?.[1]?.toLowerCase();
  const work = async (): Promise<void> => {
    if (!id) throw new HttpError(404, `No image route ${path}`);
    if (req.method === "PUT") return handleImageUpload(req, res, id, requestId);
    if (req.method === "GET" || req.method === "HEAD") return handleImageDownload(req, res, id, requestId);
    throw new HttpError(405, `Method ${req.method ?? "?"} is not allowed on ${path}`, { allow: "GET, HEAD, PUT" });
  };
  work().catch((err: unknown) => {
    if (err instanceof HttpError) return replyError(res, err, requestId);
    getLogger("stratus.image.api", { requestId }).error({ err }, `${req.method ?? "?"} ${path} failed`);
    replyError(res, new HttpError(500, "Internal error; see the controller log"), requestId);
  });
  return true;
}
