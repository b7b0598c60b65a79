// The image as the API and the dashboards see it (Glance's image resource), and the live event that
// tells dashboards an image changed. No server-only imports: browser code may import this module.
import type { Image } from "@/server/db";

export const IMAGE_STATUSES = ["queued", "saving", "active", "killed", "deleted"] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export interface ImageView {
  id: string;
  name: string;
  status: string;
  diskFormat: string;
  containerFormat: string;
  visibility: string;
  /** Owning project; null for images nobody owns (seeded public images). */
  ownerProjectId: string | null;
  /** Bytes stored (null until uploaded). */
  size: number | null;
  /** Disk size the guest sees, from qemu-img (null until uploaded). */
  virtualSize: number | null;
  /** sha256 of the stored bytes. */
  checksum: string | null;
  minDiskGb: number;
  minRamMb: number;
  protected: boolean;
  properties: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** Socket.IO event on the /ui namespace: an image was created, changed state or was deleted. */
export const IMAGE_CHANGED_EVENT = "image:changed";

function parseProperties(json: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(json);
    if (!value || typeof value !== "object" || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

const toNumber = (v: bigint | null): number | null => (v === null ? null : Number(v));

export function toImageView(i: Image): ImageView {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    diskFormat: i.diskFormat,
    containerFormat: i.containerFormat,
    visibility: i.visibility,
    ownerProjectId: i.ownerProjectId,
    size: toNumber(i.size),
    virtualSize: toNumber(i.virtualSize),
    checksum: i.checksum,
    minDiskGb: i.minDiskGb,
    minRamMb: i.minRamMb,
    protected: i.protected,
    properties: parseProperties(i.properties),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
