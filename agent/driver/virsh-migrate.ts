// `virsh migrate` for one live migration, in a process of its own: the call blocks until libvirt
// finished the job, and the agent's shared virsh shell must stay free meanwhile to read the job's
// figures and to abort it. Migrations between qemu:/// hosts only: their state is in the daemons,
// so a second connection sees the same domain.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LiveMigrateRequest } from "./hypervisor";

/** Nova's flags (VIR_MIGRATE_LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE [| NON_SHARED_INC]). */
export function migrateArgs(uuid: string, r: LiveMigrateRequest, files: { xml: string; persistentXml: string }): string[] {
  const args = ["migrate", "--live", "--p2p", "--persistent", "--undefinesource"];
  if (r.copyStorage) args.push("--copy-storage-inc", "--disks-uri", r.dataUri);
  args.push("--xml", files.xml, "--persistent-xml", files.persistentXml, "--migrateuri", r.dataUri);
  if (r.bandwidthMiBps > 0) args.push("--bandwidth", String(r.bandwidthMiBps));
  args.push(uuid, r.destUri);
  return args;
}

export interface VirshMigrateResult {
  ok: boolean;
  /** libvirt's `error:` lines (its own message last), or what virsh printed. */
  errors: string[];
}

/** Runs the migration to its end; never rejects for libvirt's refusal (see `ok`). */
export async function runVirshMigrate(binary: string, uri: string, uuid: string, request: LiveMigrateRequest): Promise<VirshMigrateResult> {
  // The XML holds paths of the destination host: kept in a private directory for the call only.
  const dir = await mkdtemp(path.join(os.tmpdir(), "stratus-migrate-"));
  try {
    const files = { xml: path.join(dir, "domain.xml"), persistentXml: path.join(dir, "persistent.xml") };
    await writeFile(files.xml, request.destXml, { mode: 0o600 });
    await writeFile(files.persistentXml, request.persistentXml, { mode: 0o600 });
    const child = spawn(binary, ["-q", "-c", uri, ...migrateArgs(uuid, request, files)], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const code = await new Promise<number | string>((resolve) => {
      child.on("error", (err) => resolve(err.message));
      child.on("close", (c, signal) => resolve(c ?? signal ?? "unknown"));
    });
    if (code === 0) return { ok: true, errors: [] };
    const errors = output
      .split("\n")
      .filter((l) => l.startsWith("error: "))
      .map((l) => l.slice("error: ".length).trim());
    return { ok: false, errors: errors.length > 0 ? errors : [`virsh migrate exited (${code}): ${output.trim() || "no output"}`] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
