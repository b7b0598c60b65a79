// Where things are, for every harness module (works under vitest and Playwright alike).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeOnExit } from "../../../scripts/lib/children.mjs";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const bin = (name: string): string => path.join(repoRoot, "node_modules", ".bin", name);

/** A private temporary directory, removed when the test process exits, however it exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  removeOnExit(dir);
  return dir;
}

/** Environment shared by every child: no update checks or telemetry calls on an offline machine. */
export function quietEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CHECKPOINT_DISABLE: "1", NEXT_TELEMETRY_DISABLED: "1" };
}
