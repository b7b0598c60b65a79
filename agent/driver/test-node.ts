// A libvirt test-driver host definition: each agent on test:/// gets its own simulated host
// (CPUs, RAM) from a node XML file, so several "compute hosts" can run on one machine.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TestNodeSpec {
  cpus: number;
  memoryMb: number;
  mhz?: number;
}

export function testNodeXml(spec: TestNodeSpec): string {
  const { cpus, memoryMb, mhz = 2400 } = spec;
  for (const [key, value] of Object.entries({ cpus, memoryMb, mhz })) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`test node ${key} must be a positive integer, got ${value}`);
  }
  // One socket of `cpus` single-threaded cores: nodeinfo then reports exactly `cpus` CPUs.
  return (
    `<node>\n` +
    `  <cpu>\n` +
    `    <mhz>${mhz}</mhz>\n` +
    `    <model>x86_64</model>\n` +
    `    <active>${cpus}</active>\n` +
    `    <nodes>1</nodes>\n` +
    `    <sockets>1</sockets>\n` +
    `    <cores>${cpus}</cores>\n` +
    `    <threads>1</threads>\n` +
    `  </cpu>\n` +
    `  <memory>${memoryMb * 1024}</memory>\n` +
    `</node>\n`
  );
}

/** The test:/// URI of a node file; libvirt wants an absolute path. */
export function testNodeUri(file: string): string {
  return `test://${path.resolve(file)}`;
}

/** Writes the node file (atomically, so a running reader never sees half of it); returns its URI. */
export function writeTestNode(file: string, spec: TestNodeSpec): string {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, testNodeXml(spec));
  renameSync(tmp, abs);
  return testNodeUri(abs);
}
