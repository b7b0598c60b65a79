"use client";
// "Create Image": name, format, visibility, minimums, protection and properties go to image.create;
// then the chosen file is sent with a real progress bar. "Upload Data" sends the file of an image
// that is still queued (created without one, or after a failed upload).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField, INPUT_CLASS } from "@/components/ui/form-field";
import { useToast } from "@/components/ui/toaster";
import { formatBytes } from "@/components/instances/format";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import type { ImageListItem } from "@/lib/trpc/types";
import { UploadStatus, useImageUpload } from "./image-upload";
import { PropertiesEditor, propertiesOf, propertyErrors, type PropertyRow } from "./properties-editor";
import { HASH_LIMIT_BYTES } from "./upload";

type DiskFormat = "qcow2" | "raw";

function formatFromFileName(name: string): DiskFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".qcow2")) return "qcow2";
  if (lower.endsWith(".raw")) return "raw";
  return null;
}

interface Errors {
  name?: string;
  minDisk?: string;
  minRam?: string;
}

function wholeNumber(v: string, max: number): boolean {
  const n = Number(v);
  return v.trim() !== "" && Number.isInteger(n) && n >= 0 && n <= max;
}

function FileField({ id, file, onFile, disabled }: { id: string; file: File | null; onFile: (f: File | null) => void; disabled: boolean }) {
  return (
    <FormField
      id={id}
      label="Image File"
      help={
        file
          ? `${file.name}, ${formatBytes(file.size)}${file.size <= HASH_LIMIT_BYTES ? "; its sha256 is checked on arrival" : ""}`
          : "A qcow2 or raw disk image. Without a file the image stays Queued until you upload its data."
      }
    >
      <input
        id={id}
        type="file"
        aria-describedby={`${id}-help`}
        disabled={disabled}
        onChange={(e) => onFile(e.target.files?.[0] ?? null)}
        className="block w-full text-sm text-zinc-700 file:mr-3 file:rounded-md file:border file:border-zinc-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-zinc-800 dark:text-zinc-300 dark:file:border-zinc-700 dark:file:bg-zinc-900 dark:file:text-zinc-100"
      />
    </FormField>
  );
}

function CreateImageForm({ isAdmin, onDone, onBusy }: { isAdmin: boolean; onDone: () => void; onBusy: (busy: boolean) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const id = useId();
  const upload = useImageUpload();

  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [diskFormat, setDiskFormat] = useState<DiskFormat>("qcow2");
  const [visibility, setVisibility] = useState<"private" | "public">("private");
  const [minDisk, setMinDisk] = useState("0");
  const [minRam, setMinRam] = useState("0");
  const [isProtected, setProtected] = useState(false);
  const [rows, setRows] = useState<PropertyRow[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [showPropErrors, setShowPropErrors] = useState(false);
  /** The image record, once created: a retry uploads to it rather than creating another. */
  const [created, setCreated] = useState<ImageListItem | null>(null);

  const create = useMutation(trpc.image.create.mutationOptions());
  const propErrors = propertyErrors(rows);

  function chooseFile(f: File | null) {
    setFile(f);
    const detected = f ? formatFromFileName(f.name) : null;
    if (detected) setDiskFormat(detected);
    if (f && !name.trim()) setName(f.name.replace(/\.(qcow2|raw|img)$/i, ""));
  }

  async function sendFile(imageId: string, imageName: string, f: File) {
    onBusy(true);
    const ok = await upload.start(imageId, f);
    onBusy(false);
    if (ok) {
      toast(`Image "${imageName}" uploaded and active.`);
      onDone();
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (created) {
      if (file) await sendFile(created.id, created.name, file);
      return;
    }
    const found: Errors = {};
    if (!name.trim()) found.name = "Enter an image name.";
    else if (name.trim().length > 255) found.name = "At most 255 characters.";
    if (!wholeNumber(minDisk, 1_000_000)) found.minDisk = "Enter a whole number of GB (0 for no minimum).";
    if (!wholeNumber(minRam, 100_000_000)) found.minRam = "Enter a whole number of MB (0 for no minimum).";
    setErrors(found);
    setShowPropErrors(true);
    if (Object.keys(found).length || propErrors.size) return;

    onBusy(true);
    let image: ImageListItem;
    try {
      image = await create.mutateAsync({
        name: name.trim(),
        diskFormat,
        visibility,
        minDiskGb: Number(minDisk),
        minRamMb: Number(minRam),
        protected: isProtected,
        properties: propertiesOf(rows),
      });
    } catch {
      onBusy(false);
      return; // shown from create.error
    }
    onBusy(false);
    setCreated(image);
    void queryClient.invalidateQueries(trpc.image.list.queryFilter());
    if (!file) {
      toast(`Image "${image.name}" created; it stays Queued until its data is uploaded.`);
      onDone();
      return;
    }
    await sendFile(image.id, image.name, file);
  }

  const locked = created !== null || upload.busy || create.isPending;
  const field = (key: keyof Errors) => ({
    id: `${id}-${key}`,
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": errors[key] ? `${id}-${key}-error` : `${id}-${key}-help`,
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
      {create.isError && <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}

      <FormField id={`${id}-name`} label="Image Name" error={errors.name} help="Shown in the image list and the Launch Instance dialog.">
        <input {...field("name")} value={name} onChange={(e) => setName(e.target.value)} maxLength={255} required autoFocus autoComplete="off" disabled={locked} className={INPUT_CLASS} />
      </FormField>

      <FileField id={`${id}-file`} file={file} onFile={chooseFile} disabled={upload.busy} />

      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={`${id}-format`} label="Format" help="What qemu-img must find in the file.">
          <select id={`${id}-format`} aria-describedby={`${id}-format-help`} value={diskFormat} onChange={(e) => setDiskFormat(e.target.value as DiskFormat)} disabled={locked} className={INPUT_CLASS}>
            <option value="qcow2">QCOW2 - QEMU Emulator</option>
            <option value="raw">Raw</option>
          </select>
        </FormField>
        <FormField id={`${id}-visibility`} label="Visibility" help={isAdmin ? "Public images are visible to every project." : "Only admins can publish images."}>
          <select
            id={`${id}-visibility`}
            aria-describedby={`${id}-visibility-help`}
            value={visibility}
            onChange={(e) => setVisibility(e.target.value === "public" ? "public" : "private")}
            disabled={locked}
            className={INPUT_CLASS}
          >
            <option value="private">Private</option>
            <option value="public" disabled={!isAdmin}>
              Public
            </option>
          </select>
        </FormField>
        <FormField id={`${id}-minDisk`} label="Minimum Disk (GB)" error={errors.minDisk} help="Flavors with a smaller disk cannot boot it.">
          <input {...field("minDisk")} type="number" inputMode="numeric" min={0} step={1} value={minDisk} onChange={(e) => setMinDisk(e.target.value)} disabled={locked} className={INPUT_CLASS} />
        </FormField>
        <FormField id={`${id}-minRam`} label="Minimum RAM (MB)" error={errors.minRam} help="Flavors with less RAM cannot boot it.">
          <input {...field("minRam")} type="number" inputMode="numeric" min={0} step={1} value={minRam} onChange={(e) => setMinRam(e.target.value)} disabled={locked} className={INPUT_CLASS} />
        </FormField>
      </div>

      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" checked={isProtected} onChange={(e) => setProtected(e.target.checked)} disabled={locked} className="mt-0.5 size-4 accent-indigo-600" />
        <span>
          <span className="font-medium">Protected</span>
          <span className="block text-xs text-zinc-600 dark:text-zinc-400">A protected image cannot be deleted until this is turned off.</span>
        </span>
      </label>

      <PropertiesEditor rows={rows} onChange={setRows} errors={showPropErrors ? propErrors : new Map()} disabled={locked} />

      <UploadStatus state={upload.state} name={created?.name ?? name} />

      <div className="flex justify-end gap-2 pt-2">
        {upload.busy ? (
          <Button onClick={upload.cancel}>Cancel upload</Button>
        ) : (
          <Button onClick={onDone} disabled={create.isPending}>
            {created ? "Close" : "Cancel"}
          </Button>
        )}
        <Button type="submit" variant="primary" disabled={upload.busy || create.isPending || (created !== null && !file)}>
          {create.isPending ? "Creating…" : upload.busy ? "Uploading…" : created ? "Upload again" : "Create Image"}
        </Button>
      </div>
    </form>
  );
}

export function CreateImageDialog({ open, isAdmin, onClose }: { open: boolean; isAdmin: boolean; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog open={open} onClose={onClose} busy={busy} title="Create Image" description="Register a disk image and upload its data.">
      {open && <CreateImageForm isAdmin={isAdmin} onBusy={setBusy} onDone={onClose} />}
    </Dialog>
  );
}

function UploadDataForm({ image, onDone, onBusy }: { image: ImageListItem; onDone: () => void; onBusy: (busy: boolean) => void }) {
  const toast = useToast();
  const id = useId();
  const upload = useImageUpload();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setError("Choose the image file to upload.");
      return;
    }
    setError(null);
    onBusy(true);
    const ok = await upload.start(image.id, file);
    onBusy(false);
    if (ok) {
      toast(`Image "${image.name}" uploaded and active.`);
      onDone();
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        <span className="font-medium">{image.name}</span> is {image.status} and expects a {image.diskFormat} disk image.
      </p>
      {error && <ErrorAlert>{error}</ErrorAlert>}
      <FileField id={`${id}-file`} file={file} onFile={setFile} disabled={upload.busy} />
      <UploadStatus state={upload.state} name={image.name} />
      <div className="flex justify-end gap-2 pt-2">
        {upload.busy ? <Button onClick={upload.cancel}>Cancel upload</Button> : <Button onClick={onDone}>Cancel</Button>}
        <Button type="submit" variant="primary" disabled={upload.busy}>
          {upload.busy ? "Uploading…" : "Upload"}
        </Button>
      </div>
    </form>
  );
}

export function UploadImageDataDialog({ image, onClose }: { image: ImageListItem | null; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog open={image !== null} onClose={onClose} busy={busy} title="Upload Image Data" size="sm">
      {image && <UploadDataForm image={image} onBusy={setBusy} onDone={onClose} />}
    </Dialog>
  );
}
