"use client";
// One image upload as the dialogs run it: hash (small files only), send with progress, wait while
// the server checks the image, then done — or failed with the server's reason and request id, the
// image queued again so the same file can simply be sent again.
import { useCallback, useEffect, useRef, useState } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { ProgressBar } from "@/components/ui/progress-bar";
import { formatBytes } from "@/components/instances/format";
import { sha256OfSmallFile, uploadImageFile, UploadError, type UploadHandle } from "./upload";

export type UploadState =
  | { phase: "idle" }
  | { phase: "hashing" }
  | { phase: "uploading"; sent: number; total: number; hashed: boolean }
  | { phase: "verifying"; total: number; hashed: boolean }
  | { phase: "done" }
  | { phase: "failed"; message: string; requestId: string | null };

export function useImageUpload() {
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const handle = useRef<UploadHandle | null>(null);

  // A dialog closed mid-upload (navigation) must not leave the request running.
  useEffect(() => () => handle.current?.abort(), []);

  const start = useCallback(async (imageId: string, file: File): Promise<boolean> => {
    setState({ phase: "hashing" });
    let sha: string | null = null;
    try {
      sha = await sha256OfSmallFile(file);
    } catch {
      sha = null; // the server still computes and records it
    }
    const hashed = sha !== null;
    setState({ phase: "uploading", sent: 0, total: file.size, hashed });
    const h = uploadImageFile(imageId, file, sha, (p) =>
      setState(p.verifying ? { phase: "verifying", total: p.total, hashed } : { phase: "uploading", sent: p.sent, total: p.total, hashed }),
    );
    handle.current = h;
    try {
      await h.done;
      setState({ phase: "done" });
      return true;
    } catch (error) {
      const e = error instanceof UploadError ? error : new UploadError(String(error), 0, null);
      setState({ phase: "failed", message: e.message, requestId: e.requestId });
      return false;
    } finally {
      handle.current = null;
    }
  }, []);

  const cancel = useCallback(() => handle.current?.abort(), []);
  const reset = useCallback(() => setState({ phase: "idle" }), []);
  const busy = state.phase === "hashing" || state.phase === "uploading" || state.phase === "verifying";
  return { state, start, cancel, reset, busy };
}

export function UploadStatus({ state, name }: { state: UploadState; name: string }) {
  if (state.phase === "idle" || state.phase === "done") return null;
  if (state.phase === "failed") {
    return (
      <ErrorAlert>
        <p>Upload failed: {state.message}</p>
        {state.requestId && <p className="mt-1 font-mono text-xs">Request ID: {state.requestId}</p>}
        <p className="mt-1 text-xs">The image is queued again; you can send the file again.</p>
      </ErrorAlert>
    );
  }
  const pct =
    state.phase === "uploading" ? (state.total > 0 ? (state.sent / state.total) * 100 : 0) : state.phase === "verifying" ? 100 : 0;
  const text =
    state.phase === "hashing"
      ? "Computing the file's sha256…"
      : state.phase === "uploading"
        ? `Uploading: ${formatBytes(state.sent)} of ${formatBytes(state.total)} (${Math.floor(pct)}%)`
        : "Uploaded. The server is checking the image…";
  return (
    <div className="space-y-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-700" data-testid="upload-status" data-phase={state.phase}>
      <ProgressBar value={state.phase === "hashing" ? 0 : pct} label={`Upload of ${name}`} />
      <p className="text-sm text-zinc-700 dark:text-zinc-300" aria-live="polite">
        {text}
      </p>
      {(state.phase === "uploading" || state.phase === "verifying") && (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          {state.hashed ? "The server verifies the sha256 computed here." : "The file is too large to hash here; the server computes its sha256."}
        </p>
      )}
    </div>
  );
}
