// Real QEMU guests for integration tests: the tiny guest images, private libvirt "compute hosts"
// (scripts/qemu/libvirtd.sh) and small helpers to define, boot and watch a domain.
//
//   const images = await ensureGuestImages();            // installs packages, builds once (cached)
//   const host = await startLibvirtHost("hostA");        // own libvirtd + virtlogd, own host UUID
//   const inst = await prepareInstance(host, "inst1", images.tiny);   // qcow2 overlay + console path
//   const boot = await bootAndWaitFor(host.uri, guestDomainXml({ name: "inst1", disk: inst.disk,
//     consolePath: inst.console }), inst.console, /STRATUS-GUEST: boot complete/, 90_000);
//   ...
//   await host.stop();                                   // guests, libvirtd, virtlogd; dir removed
//
// What the guest prints on its serial console (scripts/qemu/guest-init.sh): "STRATUS-GUEST: boot N"
// (a per-instance boot counter kept on the instance disk), "... boot complete", a heartbeat every
// 3 s, "... ACPI power button -> poweroff" (tiny.raw) or "... ignoring ACPI power button"
// (tiny-noacpi.raw), and for rescue.raw "... rescue boot" plus one line per disk it sees.
//
// Hosts live under var/qemu/hosts/<name>-<pid>-<n>. They are stopped by host.stop(), by this
// process's exit, or, if this process was killed outright, by the next test process that starts a
// host (each host dir records its owner process). Env STRATUS_QEMU_KEEP=1 keeps stopped host dirs
// (logs: <dir>/log/libvirtd.log, <dir>/log/qemu/<domain>.log).
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../harness/paths";
import { freePort } from "../harness/ports";

const scripts = path.join(repoRoot, "scripts", "qemu");
const varQemu = path.join(repoRoot, "var", "qemu");
const libvirtdScript = path.join(scripts, "libvirtd.sh");

// --- Running commands -------------------------------------------------------------------------

/** Runs a command; resolves with stdout, rejects with its stderr in the message. */
export function run(file: string, args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: "utf8", env }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const how = error.killed ? `timed out after ${timeoutMs} ms` : `exit ${String(error.code ?? error.signal)}`;
      reject(new Error(`${file} ${args.join(" ")}: ${how}\n${stderr.trim() || error.message}`));
    });
  });
}

/** `virsh -q -c uri ...args`, trimmed stdout. Every call has a timeout: virsh jobs can hang. */
export async function virsh(uri: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return (await run("virsh", ["-q", "-c", uri, ...args], timeoutMs)).trim();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- Packages and images ------------------------------------------------------------------------

let packages: Promise<void> | undefined;

/** Installs the Debian packages scripts/qemu needs (no-op when present), once per process. */
export function ensureQemuPackages(): Promise<void> {
  packages ??= run("bash", [path.join(scripts, "packages.sh")], 20 * 60_000).then(
    () => undefined,
    (error: unknown) => {
      packages = undefined;
      throw error;
    },
  );
  return packages;
}

export interface GuestImages {
  /** Boot counter, heartbeat, powers off on the ACPI power button. */
  tiny: string;
  /** Same guest, ignores the ACPI power button (only a hard reset or destroy stops it). */
  noAcpi: string;
  /** Prints "rescue boot" and each disk it sees with that disk's boot counter. */
  rescue: string;
  /** The tiny guest, rewriting 64 MiB of its memory without pause (live migration under load). */
  busy: string;
}

let images: Promise<GuestImages> | undefined;

/** Absolute paths of the four raw images in var/qemu/images (built once, then cached). */
export function ensureGuestImages(): Promise<GuestImages> {
  const dir = path.join(varQemu, "images");
  images ??= ensureQemuPackages()
    .then(() => run("bash", [path.join(scripts, "build-guest-image.sh"), dir], 10 * 60_000))
    .then(
      () => ({
        tiny: path.join(dir, "tiny.raw"),
        noAcpi: path.join(dir, "tiny-noacpi.raw"),
        rescue: path.join(dir, "rescue.raw"),
        busy: path.join(dir, "tiny-busy.raw"),
      }),
      (error: unknown) => {
        images = undefined;
        throw error;
      },
    );
  return images;
}

// --- Private libvirt hosts ------------------------------------------------------------------------

export interface LibvirtHostOptions {
  /** State directory. Default var/qemu/hosts/<name>-<pid>-<n>, which stop() removes (a given dir is kept). */
  dir?: string;
  /** Default: derived from the name by libvirtd.sh. */
  hostUuid?: string;
  /** TCP listener on 127.0.0.1 for migration: a free port by default, `false` for none. */
  tcpPort?: number | false;
}

export interface LibvirtHost {
  name: string;
  /** `qemu:///system?socket=<dir>/run/libvirt-sock`, usable from the root namespace. */
  uri: string;
  /** `qemu+tcp://127.0.0.1:<port>/system`, the address other hosts migrate to (if listening). */
  tcpUri: string | undefined;
  dir: string;
  /** Where tests put instance directories (Nova's instances path for this host). */
  instancesDir: string;
  hostUuid: string;
  virsh(args: string[], timeoutMs?: number): Promise<string>;
  /** Kills its guests, stops libvirtd and virtlogd (by recorded pid), removes a default dir. */
  stop(): Promise<void>;
}

/** Running hosts of this process: dir -> whether the dir is ours to remove. */
const liveHosts = new Map<string, boolean>();
let hostCounter = 0;

process.on("exit", () => {
  for (const [dir, remove] of liveHosts) stopHostSync(dir, remove);
});

function stopHostSync(dir: string, remove: boolean): void {
  spawnSync("bash", [libvirtdScript, "stop", dir], { stdio: "ignore", timeout: 60_000 });
  if (remove && process.env.STRATUS_QEMU_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
}

/** "pid starttime" of a process: a pid alone could be reused after the owner died. */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `${pid} ${fields[19]}`; // field 22 of stat(5), counted after "pid (comm)"
  } catch {
    return undefined;
  }
}

/** Stops hosts left behind by test processes that were killed before they could clean up. */
function reapOrphanHosts(hostsDir: string): void {
  if (!existsSync(hostsDir)) return;
  for (const entry of readdirSync(hostsDir)) {
    const dir = path.join(hostsDir, entry);
    let owner: string;
    try {
      owner = readFileSync(path.join(dir, "owner"), "utf8").trim();
    } catch {
      continue; // started by hand (no owner file): not ours to stop
    }
    const pid = Number(owner.split(" ")[0]);
    if (processIdentity(pid) !== owner) stopHostSync(dir, true);
  }
}

function defaultHostsDir(): string {
  const dir = path.join(varQemu, "hosts");
  // libvirtd.sh refuses state dirs longer than 80 characters (unix socket paths are short).
  return dir.length <= 56 ? dir : path.join(os.tmpdir(), "stratus-qemu-hosts");
}

/** Starts a private libvirtd (own mount namespace, own host UUID) whose state lives in one dir. */
export async function startLibvirtHost(name: string, options: LibvirtHostOptions = {}): Promise<LibvirtHost> {
  await ensureQemuPackages();
  hostCounter += 1;
  const hostsDir = defaultHostsDir();
  if (!options.dir) reapOrphanHosts(hostsDir);
  const dir = options.dir ?? path.join(hostsDir, `${name}-${process.pid}-${hostCounter}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "owner"), processIdentity(process.pid) ?? String(process.pid));
  const tcpPort = options.tcpPort === false ? undefined : (options.tcpPort ?? (await freePort()));
  // Consecutive slots: the hosts of one test process never share migration port ranges.
  const env = { ...process.env, STRATUS_LIBVIRT_PORT_SLOT: String((process.pid + hostCounter) % 64) };
  const removeDir = !options.dir;
  liveHosts.set(dir, removeDir);
  let uri: string;
  try {
    uri = (await run("bash", [libvirtdScript, "start", dir, name, options.hostUuid ?? "", tcpPort ? String(tcpPort) : ""], 60_000, env)).trim();
  } catch (error) {
    stopHostSync(dir, removeDir);
    liveHosts.delete(dir);
    throw error;
  }
  const capabilities = await virsh(uri, ["capabilities"]);
  const hostUuid = /<host>\s*<uuid>([^<]+)<\/uuid>/.exec(capabilities)?.[1] ?? "";
  const instancesDir = path.join(dir, "instances");
  mkdirSync(instancesDir, { recursive: true });
  let stopping: Promise<void> | undefined;
  return {
    name,
    uri,
    tcpUri: tcpPort ? `qemu+tcp://127.0.0.1:${tcpPort}/system` : undefined,
    dir,
    instancesDir,
    hostUuid,
    virsh: (args, timeoutMs) => virsh(uri, args, timeoutMs),
    stop() {
      stopping ??= run("bash", [libvirtdScript, "stop", dir], 120_000).then(() => {
        liveHosts.delete(dir);
        if (removeDir && process.env.STRATUS_QEMU_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}

// --- Instances and domains ----------------------------------------------------------------------

export interface InstanceFiles {
  dir: string;
  /** qcow2 overlay backed by the raw base image (Nova's <instances>/<uuid>/disk). */
  disk: string;
  /** Where libvirt writes the serial console (append mode: survives restarts). */
  console: string;
}

/** `qemu-img create -f qcow2 -F raw -b <base> <path> <size>`. */
export async function createOverlay(baseImage: string, diskPath: string, size = "1G"): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", path.resolve(baseImage), diskPath, size]);
}

/** Creates <host.instancesDir>/<name>/disk as an overlay on `baseImage`. */
export async function prepareInstance(host: Pick<LibvirtHost, "instancesDir">, name: string, baseImage: string, size = "1G"): Promise<InstanceFiles> {
  const dir = path.join(host.instancesDir, name);
  mkdirSync(dir, { recursive: true });
  const disk = path.join(dir, "disk");
  await createOverlay(baseImage, disk, size);
  return { dir, disk, console: path.join(dir, "console.log") };
}

export interface GuestDomainOptions {
  name: string;
  /** Boot disk (vda), a qcow2 file. */
  disk: string;
  /** More qcow2 disks, attached in order as vdb, vdc, ... */
  extraDisks?: string[];
  consolePath: string;
  memoryMiB?: number;
  vcpus?: number;
  /** TCG translation cache; `null` leaves QEMU's default (larger RSS). */
  tbCacheMiB?: number | null;
  /** A user-mode (SLIRP) virtio NIC: the guest runs DHCP and prints its address. */
  nic?: boolean;
  uuid?: string;
}

const xmlEscape = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c);

/** Domain XML for the tiny guest under TCG: disk boot, serial console to a file, reboot = restart. */
export function guestDomainXml(options: GuestDomainOptions): string {
  const disks = [options.disk, ...(options.extraDisks ?? [])].map(
    (file, index) =>
      `    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>` +
      `<source file='${xmlEscape(file)}'/><target dev='vd${String.fromCharCode(97 + index)}' bus='virtio'/></disk>`,
  );
  const tbCache = options.tbCacheMiB === null ? "" : `<tcg><tb-cache unit='MiB'>${options.tbCacheMiB ?? 32}</tb-cache></tcg>`;
  const consolePath = xmlEscape(options.consolePath);
  return `<domain type='qemu'>
  <name>${xmlEscape(options.name)}</name>${options.uuid ? `\n  <uuid>${options.uuid}</uuid>` : ""}
  <memory unit='MiB'>${options.memoryMiB ?? 128}</memory>
  <vcpu>${options.vcpus ?? 1}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/>${tbCache}</features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${disks.join("\n")}${options.nic ? "\n    <interface type='user'><model type='virtio'/></interface>" : ""}
    <serial type='file'><source path='${consolePath}' append='on'/><target port='0'/></serial>
    <console type='file'><source path='${consolePath}' append='on'/><target type='serial' port='0'/></console>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** `virsh define` from an XML string. */
export async function defineDomain(uri: string, xml: string): Promise<string> {
  const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
  if (!name) throw new Error("domain XML has no <name>");
  const file = path.join(os.tmpdir(), `stratus-domain-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  try {
    await virsh(uri, ["define", file]);
  } finally {
    rmSync(file, { force: true });
  }
  return name;
}

/** `virsh domstate`: "running", "shut off", "paused", ... */
export async function domainState(uri: string, name: string): Promise<string> {
  return virsh(uri, ["domstate", name], 15_000);
}

/** Polls until the domain is in `state`; resolves with the milliseconds it took. */
export async function waitForDomainState(uri: string, name: string, state: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  let last = "";
  while (Date.now() - started < timeoutMs) {
    last = await domainState(uri, name);
    if (last === state) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`domain ${name}: still "${last}" after ${timeoutMs} ms, expected "${state}"`);
}

// --- Console -------------------------------------------------------------------------------------

export interface ConsoleMatch {
  line: string;
  /** Byte offset just past the matching line: pass it as `since` to wait for what comes next. */
  offset: number;
  elapsedMs: number;
}

/** A serial console log file that libvirt appends to, read by byte offset. */
export class ConsoleLog {
  constructor(readonly file: string) {}

  /** Current size: a mark to wait for output produced after this moment. */
  async size(): Promise<number> {
    try {
      return (await stat(this.file)).size;
    } catch {
      return 0;
    }
  }

  async text(since = 0): Promise<string> {
    try {
      const handle = await open(this.file, "r");
      try {
        const { size } = await handle.stat();
        const buffer = Buffer.alloc(Math.max(0, size - since));
        await handle.read(buffer, 0, buffer.length, since);
        return buffer.toString("utf8");
      } finally {
        await handle.close();
      }
    } catch {
      return "";
    }
  }

  /** Lines written after `since` (complete lines only, "\r" removed). */
  async lines(since = 0): Promise<string[]> {
    const text = await this.text(since);
    return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").slice(0, -1).map((line) => line.replace(/\r/g, ""));
  }

  /** Waits for a complete line matching `pattern` written after byte `since`. */
  async waitFor(pattern: RegExp, options: { since?: number; timeoutMs?: number } = {}): Promise<ConsoleMatch> {
    const since = options.since ?? 0;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const started = Date.now();
    for (;;) {
      const text = await this.text(since);
      let offset = since;
      for (const raw of text.split("\n").slice(0, -1)) {
        offset += Buffer.byteLength(raw) + 1;
        const line = raw.replace(/\r/g, "");
        if (pattern.test(line)) return { line, offset, elapsedMs: Date.now() - started };
      }
      if (Date.now() - started > timeoutMs) {
        const tail = (await this.lines(since)).slice(-25).join("\n");
        throw new Error(`no console line matching ${pattern} in ${this.file} after ${timeoutMs} ms; last lines:\n${tail}`);
      }
      await sleep(200);
    }
  }
}

// --- Booting -----------------------------------------------------------------------------------

// Booting under TCG costs ~10 CPU-seconds; on a 2-core machine more than two at once only makes
// every boot slower. bootAndWaitFor queues behind this limit (env STRATUS_QEMU_MAX_BOOTS).
const maxBoots = Number(process.env.STRATUS_QEMU_MAX_BOOTS ?? 2);
let booting = 0;
const bootQueue: Array<() => void> = [];

async function withBootSlot<T>(work: () => Promise<T>): Promise<T> {
  if (booting >= maxBoots) await new Promise<void>((resolve) => bootQueue.push(resolve));
  booting += 1;
  try {
    return await work();
  } finally {
    booting -= 1;
    bootQueue.shift()?.();
  }
}

export interface BootResult extends ConsoleMatch {
  name: string;
  /** How long `virsh start` took to return. */
  startMs: number;
}

/**
 * Defines the domain from `xml` (or takes an already defined one: `{ name }`), starts it and
 * waits for a console line matching `pattern` written after the start. elapsedMs counts from
 * just before `virsh start`.
 */
export async function bootAndWaitFor(
  uri: string,
  xml: string | { name: string },
  consolePath: string,
  pattern: RegExp,
  timeoutMs = 120_000,
): Promise<BootResult> {
  const name = typeof xml === "string" ? await defineDomain(uri, xml) : xml.name;
  const consoleLog = new ConsoleLog(consolePath);
  return withBootSlot(async () => {
    const since = await consoleLog.size();
    const started = Date.now();
    await virsh(uri, ["start", name], 60_000);
    const startMs = Date.now() - started;
    try {
      const match = await consoleLog.waitFor(pattern, { since, timeoutMs: timeoutMs - startMs });
      return { ...match, name, startMs, elapsedMs: Date.now() - started };
    } catch (error) {
      const state = await domainState(uri, name).catch((e: Error) => e.message);
      throw new Error(`${(error as Error).message}\n(domain ${name} is "${state}")`);
    }
  });
}
