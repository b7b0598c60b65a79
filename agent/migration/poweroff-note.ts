// A note in the instance directory while a cold migration holds the guest powered off on its
// source host, so an agent that dies during the copy knows at its next start that the guest it
// finds off was running before the move. If the instance is still placed here then (the move
// failed, or never finished), the guest is powered on again — Nova's _init_instance for an
// instance found in resize_migrating. A move that succeeds leaves the note for the confirm (which
// removes the directory) or the revert (which starts the guest and removes it).
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export const POWEROFF_NOTE = "migration-poweroff.json";

export interface PoweroffNote {
  migrationId: number;
  /** When the guest was powered off for the move. */
  at: string;
}

export async function writePoweroffNote(instanceDir: string, migrationId: number): Promise<void> {
  const note: PoweroffNote = { migrationId, at: new Date().toISOString() };
  await writeFile(path.join(instanceDir, POWEROFF_NOTE), `${JSON.stringify(note)}\n`);
}

export async function readPoweroffNote(instanceDir: string): Promise<PoweroffNote | null> {
  try {
    const note = JSON.parse(await readFile(path.join(instanceDir, POWEROFF_NOTE), "utf8")) as Partial<PoweroffNote>;
    return typeof note.migrationId === "number" && typeof note.at === "string" ? { migrationId: note.migrationId, at: note.at } : null;
  } catch {
    return null;
  }
}

export async function removePoweroffNote(instanceDir: string): Promise<void> {
  await rm(path.join(instanceDir, POWEROFF_NOTE), { force: true });
}
