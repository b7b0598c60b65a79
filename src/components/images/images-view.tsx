"use client";
// Images (Glance's image list), in two places: Admin → Images shows every project's images;
// Project → Images the public ones and this project's own. Create Image uploads with a progress
// bar; Delete asks first. Rows follow `image:changed` pushes (queued → saving → active) live.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDeleteDialog } from "@/components/ui/confirm-delete-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { StatusChip, type Tone } from "@/components/ui/status-chip";
import { useToast } from "@/components/ui/toaster";
import { formatBytes, formatMemory } from "@/components/instances/format";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { ImageListItem } from "@/lib/trpc/types";
import { CreateImageDialog, UploadImageDataDialog } from "./create-image-dialog";

const TH = "whitespace-nowrap px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-3 py-3 align-top";

const STATUS: Record<string, { label: string; tone: Tone; busy?: boolean }> = {
  queued: { label: "Queued", tone: "neutral" },
  saving: { label: "Saving", tone: "warning", busy: true },
  active: { label: "Active", tone: "success" },
  killed: { label: "Killed", tone: "danger" },
  deleted: { label: "Deleted", tone: "neutral" },
};

function ImageStatus({ status }: { status: string }) {
  const s = STATUS[status] ?? { label: status, tone: "neutral" as Tone };
  return (
    <StatusChip tone={s.tone} pulse={s.busy}>
      {s.label}
    </StatusChip>
  );
}

function DeleteImageDialog({ image, onClose }: { image: ImageListItem | null; onClose: () => void }) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  return (
    <ConfirmDeleteDialog
      noun="Image"
      name={image?.name ?? null}
      consequence="Deleted images are not recoverable. Instances already booted from it keep running."
      onClose={onClose}
      onConfirm={async () => {
        if (!image) return;
        await client.image.delete.mutate({ id: image.id });
        toast(`Deleted Image: "${image.name}"`);
        void queryClient.invalidateQueries(trpc.image.list.queryFilter());
      }}
    />
  );
}

export function ImagesView({ scope }: { scope: "admin" | "project" }) {
  const trpc = useTRPC();
  const session = useSession();
  const images = useQuery(trpc.image.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ImageListItem | null>(null);
  const [uploading, setUploading] = useState<ImageListItem | null>(null);

  const canModify = (i: ImageListItem) => session.isAdmin || (i.ownerProjectId !== null && i.ownerProjectId === session.project.id);
  // The project view is what this project can boot: public images and its own (as for a member).
  const items = (images.data ?? []).filter((i) => scope === "admin" || i.visibility === "public" || i.ownerProjectId === session.project.id);
  const showOwner = scope === "admin";

  if (scope === "admin" && !session.isAdmin) {
    return (
      <div className="space-y-6">
        <PageHeader title="Images" />
        <ErrorAlert>You are not authorized to view every project&apos;s images: this page needs the admin role. Your project&apos;s images are under Project → Images.</ErrorAlert>
      </div>
    );
  }

  return (
    <div className="space-y-6">
      <PageHeader
        title="Images"
        description={scope === "admin" ? "Every project's disk images. Changes appear as they happen." : "Public images and this project's own. Changes appear as they happen."}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create Image
          </Button>
        }
      />

      {images.isError && <ErrorAlert>Unable to retrieve images: {errorMessage(images.error)}</ErrorAlert>}

      <section aria-label="Image list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        {images.isPending ? (
          <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading images…
          </p>
        ) : items.length === 0 && !images.isError ? (
          <EmptyState
            title="No images yet"
            action={
              <Button variant="primary" onClick={() => setCreating(true)}>
                Create an image
              </Button>
            }
          >
            Images are the disks instances boot from. Upload a qcow2 or raw image.
          </EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm">
              <caption className="sr-only">Images</caption>
              <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                <tr>
                  <th scope="col" className={TH}>Name</th>
                  <th scope="col" className={TH}>Status</th>
                  <th scope="col" className={TH}>Format</th>
                  <th scope="col" className={TH}>Size</th>
                  <th scope="col" className={TH}>Visibility</th>
                  {showOwner && <th scope="col" className={TH}>Owner</th>}
                  <th scope="col" className={TH}>Min Disk</th>
                  <th scope="col" className={TH}>Min RAM</th>
                  <th scope="col" className={TH}>Created</th>
                  <th scope="col" className={`${TH} text-right`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((i) => {
                  const mine = canModify(i);
                  const props = Object.entries(i.properties);
                  return (
                    <tr key={i.id} data-testid={`image-row-${i.name}`} data-status={i.status} className="border-t border-zinc-200 dark:border-zinc-800">
                      <th scope="row" className={`${TD} text-left font-medium`}>
                        <span className="block max-w-64 truncate" title={`${i.name}\n${i.id}`}>
                          {i.name}
                        </span>
                        {i.protected && <span className="block text-xs font-normal text-zinc-600 dark:text-zinc-400">Protected</span>}
                        {props.length > 0 && (
                          <span className="block max-w-64 truncate text-xs font-normal text-zinc-500 dark:text-zinc-400" title={props.map(([k, v]) => `${k}=${v}`).join("\n")}>
                            {props.map(([k, v]) => `${k}=${v}`).join(", ")}
                          </span>
                        )}
                      </th>
                      <td className={TD}>
                        <ImageStatus status={i.status} />
                      </td>
                      <td className={`${TD} uppercase`}>{i.diskFormat}</td>
                      <td className={`${TD} whitespace-nowrap`}>
                        {i.size === null ? <span className="text-zinc-500 dark:text-zinc-400">-</span> : formatBytes(i.size)}
                        {i.virtualSize !== null && i.virtualSize !== i.size && (
                          <span className="block text-xs text-zinc-500 dark:text-zinc-400">virtual {formatBytes(i.virtualSize)}</span>
                        )}
                      </td>
                      <td className={`${TD} capitalize`}>{i.visibility}</td>
                      {showOwner && (
                        <td className={`${TD} font-mono text-xs`}>
                          {i.ownerProjectId === null ? "-" : i.ownerProjectId === session.project.id ? <span className="font-sans text-sm">{session.project.name}</span> : i.ownerProjectId}
                        </td>
                      )}
                      <td className={`${TD} whitespace-nowrap`}>{i.minDiskGb} GB</td>
                      <td className={`${TD} whitespace-nowrap`}>{formatMemory(i.minRamMb)}</td>
                      <td className={`${TD} whitespace-nowrap text-zinc-600 dark:text-zinc-400`}>
                        <RelativeTime value={i.createdAt} />
                      </td>
                      <td className={`${TD} text-right whitespace-nowrap`}>
                        {mine && (
                          <div className="inline-flex gap-1">
                            {i.status === "queued" && (
                              <Button size="sm" onClick={() => setUploading(i)} aria-label={`Upload data: ${i.name}`}>
                                Upload Data
                              </Button>
                            )}
                            <Button
                              size="sm"
                              variant="danger-outline"
                              onClick={() => setDeleting(i)}
                              disabled={i.protected}
                              title={i.protected ? "Protected images cannot be deleted." : undefined}
                              aria-label={`Delete Image: ${i.name}`}
                            >
                              Delete Image
                            </Button>
                          </div>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <CreateImageDialog open={creating} isAdmin={session.isAdmin} onClose={() => setCreating(false)} />
      <UploadImageDataDialog image={uploading} onClose={() => setUploading(null)} />
      <DeleteImageDialog image={deleting} onClose={() => setDeleting(null)} />
    </div>
  );
}
