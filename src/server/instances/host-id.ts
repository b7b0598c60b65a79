// Nova's hostId: sha224(project_id + host), hex. It tells a project's users whether two of their
// instances share a host without naming the host, and differs between projects.
import { createHash } from "node:crypto";

export function hostId(projectId: string, host: string | null): string | null {
  if (!host) return null;
  return createHash("sha224").update(projectId + host).digest("hex");
}
