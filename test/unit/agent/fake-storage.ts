// An InstanceStorage over a temp directory, for the agent's task tests: the files exist (the rescue
// disk appears and goes), but no image is fetched or converted. libvirt's test driver never opens
// disk files, so the domains that name them run all the same.
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DiskDevice, InstanceStorage } from "../../../agent/storage";

export class FakeStorage implements InstanceStorage {
  readonly rescueImages: string[] = [];

  constructor(private readonly root: string) {}

  instanceDir(uuid: string): string {
    return path.join(this.root, uuid);
  }

  consoleLogPath(uuid: string): string {
    return path.join(this.instanceDir(uuid), "console.log");
  }

  async prepareInstanceDisks(_ctx: unknown, spec: { uuid: string }): Promise<DiskDevice[]> {
    const disk = path.join(this.instanceDir(spec.uuid), "disk");
    await mkdir(path.dirname(disk), { recursive: true });
    if (!existsSync(disk)) await writeFile(disk, "overlay");
    return [{ path: disk, format: "qcow2", target: "vda" }];
  }

  async prepareRescueDisk(_ctx: unknown, spec: { uuid: string }, image: { id: string }): Promise<DiskDevice> {
    const disk = path.join(this.instanceDir(spec.uuid), "disk.rescue");
    await mkdir(path.dirname(disk), { recursive: true });
    await writeFile(disk, `rescue ${image.id}`);
    this.rescueImages.push(image.id);
    return { path: disk, format: "qcow2", target: "vda" };
  }

  async removeRescueDisk(uuid: string): Promise<void> {
    await rm(path.join(this.instanceDir(uuid), "disk.rescue"), { force: true });
  }

  rootDiskPath(uuid: string): string {
    return path.join(this.instanceDir(uuid), "disk");
  }

  incomingDiskPath(uuid: string): string {
    return path.join(this.instanceDir(uuid), "disk.incoming");
  }

  async adoptIncomingDisk(_ctx: unknown, spec: { uuid: string }): Promise<DiskDevice[]> {
    await rename(this.incomingDiskPath(spec.uuid), this.rootDiskPath(spec.uuid));
    return [{ path: this.rootDiskPath(spec.uuid), format: "qcow2", target: "vda" }];
  }

  async removeInstanceFiles(uuid: string): Promise<void> {
    await rm(this.instanceDir(uuid), { recursive: true, force: true });
  }
}
