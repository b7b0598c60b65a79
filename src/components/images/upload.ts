// Sends an image's bytes to `PUT /api/images/<id>/file` with XMLHttpRequest, because fetch still
// cannot report upload progress. The size always goes along (X-Image-Size) so a cut-short body is
// refused; the sha256 too when the file is small enough to hash in the browser, so the server
// verifies the bytes it kept are the bytes chosen here.

/** Files up to this size are hashed before upload; larger ones would have to sit in memory whole. */
export const HASH_LIMIT_BYTES = 64 * 1024 * 1024;

/** sha256 as hex, or null when the file is too large or this context has no WebCrypto (plain http). */
export async function sha256OfSmallFile(file: Blob): Promise<string | null> {
  if (file.size > HASH_LIMIT_BYTES || typeof crypto === "undefined" || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class UploadError extends Error {
  override readonly name = "UploadError";
  constructor(
    message: string,
    readonly status: number,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

export interface UploadHandle {
  /** Resolves when the server has checked and stored the image; rejects with UploadError. */
  done: Promise<unknown>;
  abort: () => void;
}

export interface UploadProgress {
  sent: number;
  total: number;
  /** Every byte is out; the server is checking the image (qemu-img) before it goes active. */
  verifying: boolean;
}

export function uploadImageFile(imageId: string, file: Blob, sha256: string | null, onProgress: (p: UploadProgress) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<unknown>((resolve, reject) => {
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size, verifying: false });
    xhr.upload.onload = () => onProgress({ sent: file.size, total: file.size, verifying: true });
    xhr.onload = () => {
      const header = xhr.getResponseHeader("x-openstack-request-id");
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: reported below by status
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const fields = typeof body === "object" && body !== null ? (body as { error?: unknown; requestId?: unknown }) : {};
      const message = typeof fields.error === "string" ? fields.error : `The upload failed (HTTP ${xhr.status}).`;
      const requestId = typeof fields.requestId === "string" ? fields.requestId : header;
      reject(new UploadError(message, xhr.status, requestId));
    };
    xhr.onerror = () => reject(new UploadError("The connection to the server was lost during the upload.", 0, null));
    xhr.onabort = () => reject(new UploadError("The upload was cancelled.", 0, null));
  });
  xhr.open("PUT", `/api/images/${encodeURIComponent(imageId)}/file`);
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.setRequestHeader("X-Image-Size", String(file.size));
  if (sha256) xhr.setRequestHeader("X-Image-Sha256", sha256);
  xhr.send(file);
  return { done, abort: () => xhr.abort() };
}
