// Where the image cache gets image bytes: the controller's image service
// (`GET /api/images/<id>/file`), authenticated with this host's agent token. The bytes go straight
// to a file while their sha256 and count are computed; a transfer that stalls is abandoned.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { z } from "zod";
import type { ImageRef, RequestContext } from "@/lib/agent-protocol";

export interface DownloadResult {
  /** Bytes written to the target. */
  size: number;
  sha256: string;
  /** What the image service announced for the file (X-Image-Sha256), to verify against. */
  announcedSha256: string | null;
}

/** Progress of one download: bytes so far and the total when known. */
export type DownloadProgress = (received: number, total: number | null) => void;

export interface ImageSource {
  /** Writes the image's bytes to `target` (created, never appended to). */
  download(ctx: RequestContext | null, image: ImageRef, target: string, onProgress: DownloadProgress): Promise<DownloadResult>;
}

export class ImageDownloadError extends Error {
  override readonly name = "ImageDownloadError";
}

const errorBodySchema = z.object({ error: z.string() });

export interface ControllerImageSourceOptions {
  controllerUrl: string;
  host: string;
  token: string;
  /** Abandon a transfer that receives nothing for this long. */
  stallTimeoutMs: number;
}

export class ControllerImageSource implements ImageSource {
  constructor(private readonly options: ControllerImageSourceOptions) {}

  async download(ctx: RequestContext | null, image: ImageRef, target: string, onProgress: DownloadProgress): Promise<DownloadResult> {
    const { controllerUrl, host, token, stallTimeoutMs } = this.options;
    const url = `${controllerUrl}/api/images/${encodeURIComponent(image.id)}/file`;
    const abort = new AbortController();
    let timer = setTimeout(() => abort.abort(), stallTimeoutMs);
    const alive = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), stallTimeoutMs);
    };
    const file = createWriteStream(target, { flags: "wx" });
    let fileError: Error | null = null;
    file.on("error", (err) => (fileError ??= err));
    try {
      let res: Response;
      try {
        res = await fetch(url, {
          headers: {
            authorization: `Bearer ${token}`,
            "x-stratus-host": host,
            ...(ctx ? { "x-openstack-request-id": ctx.requestId } : {}),
          },
          signal: abort.signal,
        });
      } catch (err) {
        throw new ImageDownloadError(`Cannot reach the image service at ${controllerUrl}: ${describe(err, abort, stallTimeoutMs)}`);
      }
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => "");
        const parsed = errorBodySchema.safeParse(safeJson(text));
        const why = parsed.success ? parsed.data.error : text.slice(0, 200) || res.statusText;
        throw new ImageDownloadError(`The image service refused image ${image.id}: HTTP ${res.status}: ${why}`);
      }
      const length = Number(res.headers.get("content-length"));
      const total = Number.isFinite(length) && length >= 0 && res.headers.has("content-length") ? length : image.size;
      const hash = createHash("sha256");
      let received = 0;
      onProgress(0, total);
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          alive();
          received += value.byteLength;
          hash.update(value);
          if (fileError) throw fileError;
          if (!file.write(value)) await once(file, "drain");
          onProgress(received, total);
        }
      } catch (err) {
        throw new ImageDownloadError(`Download of image ${image.id} broke off after ${received} bytes: ${describe(err, abort, stallTimeoutMs)}`);
      }
      if (!file.closed) {
        file.end();
        await once(file, "close");
      }
      if (fileError) throw new ImageDownloadError(`Cannot write image ${image.id} to ${target}: ${(fileError as Error).message}`);
      return { size: received, sha256: hash.digest("hex"), announcedSha256: res.headers.get("x-image-sha256") };
    } finally {
      clearTimeout(timer);
      if (!file.closed) file.destroy();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function describe(err: unknown, abort: AbortController, stallTimeoutMs: number): string {
  if (abort.signal.aborted) return `no data for ${stallTimeoutMs / 1000} s`;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err instanceof Error ? err.message : String(err)}${cause}`;
}
