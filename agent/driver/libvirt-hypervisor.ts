// The Hypervisor over one long-lived virsh shell: the same code drives test:/// and qemu:///.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { domainStateFromCodes } from "./domain-state";
import {
  HypervisorError,
  type ConnectionReset,
  type DomainInfo,
  type DomainState,
  type HostCapabilities,
  type Hypervisor,
  type HypervisorErrorCode,
  type HypervisorVersion,
  type LiveMigrateRequest,
  type NodeInfo,
} from "./hypervisor";
import { parseJobStats, type JobStats } from "./job-stats";
import { runVirshMigrate } from "./virsh-migrate";
import { VirshError, VirshShell } from "./virsh-shell";
import {
  parseCapabilities,
  parseDomStats,
  parseNodeInfo,
  parseUuidNameList,
  parseVersion,
} from "./virsh-parsers";

/** Classifies libvirt's message the way Nova checks error codes (virsh hides the codes). */
function classify(e: VirshError): HypervisorErrorCode {
  if (e.kind === "timeout") return "timeout";
  if (e.kind === "exited") return "connection";
  const text = e.errors.join("\n");
  if (/failed to get domain|Domain not found|no domain with matching/i.test(text)) return "no-domain";
  if (/domain is not running/i.test(text)) return "not-running";
  if (/operation aborted|canceled by client|cancelled by client/i.test(text)) return "cancelled";
  if (/domain is already (active|running)|already active/i.test(text)) return "already-running";
  if (/unsupported flags|this function is not supported|not supported by the connection driver/i.test(text)) {
    return "unsupported";
  }
  return "failed";
}

export interface LibvirtHypervisorOptions {
  uri: string;
  /** Per-call timeout. */
  timeoutMs: number;
  virshBinary?: string;
}

export class LibvirtHypervisor implements Hypervisor {
  readonly uri: string;
  readonly canMigrateLive: boolean;
  private readonly shell: VirshShell;
  private readonly virshBinary: string;
  private caps: Promise<HostCapabilities> | null = null;
  /** Set once the driver refused --nvram (test driver, old QEMU), to skip the failing try. */
  private nvramUnsupported = false;
  /**
   * virsh runs managedsave (like save, dump, migrate) as a watched job, and when the job ends
   * before virsh starts watching, as it does at once on the test driver, virsh misses the end and
   * waits for ever (measured: a few percent of calls). There such a call is hung after a moment,
   * not after the full timeout that would stall every other call behind it.
   */
  private readonly jobTimeoutMs: number | undefined;

  constructor(options: LibvirtHypervisorOptions) {
    this.uri = options.uri;
    // The test driver has no migration support at all (and no guest memory to move).
    this.canMigrateLive = !options.uri.startsWith("test:");
    this.virshBinary = options.virshBinary ?? "virsh";
    this.jobTimeoutMs = options.uri.startsWith("test:") ? Math.min(2000, options.timeoutMs) : undefined;
    this.shell = new VirshShell({ uri: options.uri, timeoutMs: options.timeoutMs, binary: options.virshBinary });
    // Capabilities belong to a connection; a new one may be a different daemon.
    this.shell.on("reset", () => {
      this.caps = null;
    });
  }

  /** The virsh process id, for diagnostics and tests. */
  get shellPid(): number | null {
    return this.shell.pid;
  }

  /** Runs a raw virsh command (tests and diagnostics); failures reject with HypervisorError. */
  async virsh(args: readonly string[], timeoutMs?: number): Promise<string> {
    try {
      return await this.shell.run(args, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (e) {
      if (e instanceof VirshError) throw new HypervisorError(e.message, classify(e), args.join(" "));
      throw e;
    }
  }

  async nodeInfo(): Promise<NodeInfo> {
    return parseNodeInfo(await this.virsh(["nodeinfo"]));
  }

  async version(): Promise<HypervisorVersion> {
    return parseVersion(await this.virsh(["version"]));
  }

  capabilities(): Promise<HostCapabilities> {
    this.caps ??= this.virsh(["capabilities"]).then(parseCapabilities);
    const caps = this.caps;
    caps.catch(() => {
      if (this.caps === caps) this.caps = null;
    });
    return caps;
  }

  async hostname(): Promise<string> {
    return (await this.virsh(["hostname"])).trim();
  }

  async listDomains(): Promise<DomainInfo[]> {
    const names = parseUuidNameList(await this.virsh(["list", "--all", "--uuid", "--name"]));
    if (names.length === 0) return [];
    const stats = parseDomStats(await this.virsh(["domstats", "--raw", "--state"]));
    const out: DomainInfo[] = [];
    for (const { uuid, name } of names) {
      const s = stats.get(name);
      // A domain undefined between the two calls is simply gone.
      if (s) out.push({ uuid, name, ...domainStateFromCodes(s.state, s.reason) });
    }
    return out;
  }

  async domainState(uuid: string): Promise<DomainState | null> {
    let text: string;
    try {
      text = await this.virsh(["domstats", "--raw", "--state", uuid]);
    } catch (e) {
      if (e instanceof HypervisorError && e.code === "no-domain") return null;
      throw e;
    }
    const [s] = parseDomStats(text).values();
    if (!s) throw new HypervisorError(`no state reported for domain ${uuid}`, "failed", `domstats ${uuid}`);
    return domainStateFromCodes(s.state, s.reason);
  }

  async domainId(uuid: string): Promise<number | null> {
    const text = (await this.virsh(["domid", uuid])).trim();
    // virsh prints "-" for a domain that is not running.
    return /^\d+$/.test(text) ? Number(text) : null;
  }

  getXml(uuid: string, options: { inactive?: boolean; migratable?: boolean } = {}): Promise<string> {
    return this.virsh(["dumpxml", ...(options.inactive ? ["--inactive"] : []), ...(options.migratable ? ["--migratable"] : []), uuid]);
  }

  async define(xml: string): Promise<void> {
    // virsh reads the definition from a file; a private directory keeps it from other users.
    const dir = await mkdtemp(path.join(os.tmpdir(), "stratus-domain-"));
    const file = path.join(dir, "domain.xml");
    try {
      await writeFile(file, xml, { mode: 0o600 });
      await this.virsh(["define", file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async start(uuid: string): Promise<void> {
    await this.virsh(["start", uuid]);
  }

  async destroy(uuid: string): Promise<void> {
    await this.virsh(["destroy", uuid]);
  }

  async undefine(uuid: string): Promise<void> {
    // As Nova's delete_configuration: drop the managed-save image and NVRAM with the definition,
    // falling back when the driver refuses a flag.
    if (!this.nvramUnsupported) {
      try {
        await this.virsh(["undefine", uuid, "--managed-save", "--nvram"]);
        return;
      } catch (e) {
        if (!(e instanceof HypervisorError && e.code === "unsupported")) throw e;
        this.nvramUnsupported = true;
      }
    }
    try {
      await this.virsh(["undefine", uuid, "--managed-save"]);
    } catch (e) {
      if (!(e instanceof HypervisorError && e.code === "unsupported")) throw e;
      await this.virsh(["undefine", uuid]);
    }
  }

  async shutdown(uuid: string): Promise<void> {
    await this.virsh(["shutdown", uuid]);
  }

  async reboot(uuid: string): Promise<void> {
    await this.virsh(["reboot", uuid]);
  }

  async reset(uuid: string): Promise<void> {
    await this.virsh(["reset", uuid]);
  }

  async suspend(uuid: string): Promise<void> {
    await this.virsh(["suspend", uuid]);
  }

  async resume(uuid: string): Promise<void> {
    await this.virsh(["resume", uuid]);
  }

  async managedSave(uuid: string): Promise<void> {
    await this.virsh(["managedsave", uuid], this.jobTimeoutMs);
  }

  async migrateLive(uuid: string, request: LiveMigrateRequest): Promise<void> {
    const operation = `migrate ${uuid} ${request.destUri}`;
    if (!this.canMigrateLive) {
      throw new HypervisorError("libvirt's test driver cannot migrate a running domain", "unsupported", operation);
    }
    const result = await runVirshMigrate(this.virshBinary, this.uri, uuid, request);
    if (result.ok) return;
    const message = result.errors.join(": ");
    throw new HypervisorError(message, classify(new VirshError(message, "command", operation, result.errors)), operation);
  }

  async jobStats(uuid: string, options: { completed?: boolean } = {}): Promise<JobStats | null> {
    try {
      return parseJobStats(await this.virsh(["domjobinfo", "--rawstats", ...(options.completed ? ["--completed"] : []), uuid]));
    } catch (e) {
      if (e instanceof HypervisorError && e.code === "no-domain") return null;
      throw e;
    }
  }

  async abortJob(uuid: string): Promise<void> {
    await this.virsh(["domjobabort", uuid]);
  }

  async setMigrationBandwidth(uuid: string, mibPerSecond: number): Promise<void> {
    // libvirt reads 0 as "no limit" only for some drivers; its largest value is the same thing.
    await this.virsh(["migrate-setspeed", uuid, String(mibPerSecond > 0 ? mibPerSecond : 8796093022207)]);
  }

  onReset(listener: (event: ConnectionReset) => void): () => void {
    // The test driver keeps domains in the connection itself: a new shell is an empty host.
    const stateLost = this.uri.startsWith("test:");
    const handler = ({ reason }: { reason: string }): void => listener({ reason, stateLost });
    this.shell.on("reset", handler);
    return () => this.shell.off("reset", handler);
  }

  close(): Promise<void> {
    return this.shell.close();
  }
}
