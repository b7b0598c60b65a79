// A throwaway simulated host on libvirt's real test driver, for the agent's driver tests.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { InstanceSpec } from "@/lib/agent-protocol";
import { writeTestNode } from "../../../agent/driver/test-node";

export interface TestHost {
  dir: string;
  uri: string;
  cleanup(): void;
}

export function makeTestHost(cpus = 8, memoryMb = 16384): TestHost {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-agent-test-"));
  const uri = writeTestNode(path.join(dir, "node.xml"), { cpus, memoryMb });
  return { dir, uri, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function instanceSpec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    uuid: randomUUID(),
    name: "vm-1",
    vcpus: 1,
    memoryMb: 256,
    rootGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    imageId: randomUUID(),
    vmState: "building",
    taskState: "scheduling",
    powerState: 0,
    ...overrides,
  };
}
