// Turns database rows into the wire shapes agents receive.
import type { ImageRef, InstanceSpec } from "@/lib/agent-protocol";
import { powerStateSchema, taskStateSchema, vmStateSchema } from "@/lib/states";
import type { Image, Instance } from "@/server/db";

export function instanceSpec(i: Instance): InstanceSpec {
  return {
    uuid: i.uuid,
    name: i.displayName,
    vcpus: i.vcpus,
    memoryMb: i.memoryMb,
    rootGb: i.rootGb,
    ephemeralGb: i.ephemeralGb,
    swapMb: i.swapMb,
    imageId: i.imageId,
    vmState: vmStateSchema.parse(i.vmState),
    taskState: i.taskState === null ? null : taskStateSchema.parse(i.taskState),
    powerState: powerStateSchema.catch(0).parse(i.powerState),
  };
}

export function imageRef(image: Image | null, id: string): ImageRef {
  return {
    id,
    name: image?.name ?? "(deleted image)",
    diskFormat: image?.diskFormat ?? "raw",
    size: image?.size === null || image?.size === undefined ? null : Number(image.size),
    checksum: image?.checksum ?? null,
  };
}
