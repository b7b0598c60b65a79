// Who may do what with an image (Glance's default policy): everyone sees public images and their
// own project's; the owning project and admins may change, upload to and delete an image; only
// admins may publish one (publicize_image).
import type { Image } from "@/server/db";

export interface ImageCaller {
  projectId: string;
  isAdmin: boolean;
}

export function canSeeImage(caller: ImageCaller, image: Image): boolean {
  if (image.status === "deleted") return false;
  return caller.isAdmin || image.visibility === "public" || image.ownerProjectId === caller.projectId;
}

export function canModifyImage(caller: ImageCaller, image: Image): boolean {
  return caller.isAdmin || (image.ownerProjectId !== null && image.ownerProjectId === caller.projectId);
}
