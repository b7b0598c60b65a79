// The one interface the agent uses to drive a hypervisor (Nova's ComputeDriver, libvirt flavour).
// Everything above agent/driver/ depends on this, never on virsh or a binding, so the transport
// (a virsh shell today, libvirt-dbus later) can change without touching the compute manager.
import type { PowerState } from "@/lib/states";
import type { JobStats } from "./job-stats";

/** `virsh nodeinfo`: the host as libvirt counts it. */
export interface NodeInfo {
  /** On real hosts this is the machine architecture (uname -m); the test driver echoes node.xml. */
  cpuModel: string;
  cpus: number;
  mhz: number;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  numaCells: number;
  memoryKib: number;
}

/** `virsh version`: "Running hypervisor: QEMU 7.2.22". */
export interface HypervisorVersion {
  /** libvirt's driver name as Nova reports it: "QEMU", "TEST". */
  type: string;
  /** Nova's packed integer: major * 1_000_000 + minor * 1_000 + micro. */
  version: number;
  /** The dotted version as printed, e.g. "7.2.22". */
  text: string;
}

/** The parts of `virsh capabilities` the agent needs. */
export interface HostCapabilities {
  arch: string;
  /** Host CPU model name (e.g. "EPYC-Rome"); absent on the test driver. */
  model?: string;
  vendor?: string;
  /** `<domain type=...>` values the host can run: "kvm", "qemu", "test". */
  domainTypes: string[];
  /**
   * Whether the host CPU advertises hardware virtualisation (vmx/svm); absent when libvirt lists
   * no CPU features (the test driver). libvirt offers "kvm" whenever /dev/kvm exists, even in a
   * VM whose /dev/kvm cannot run a guest (KVM internal error at the first instruction).
   */
  hardwareVirt?: boolean;
}

/** libvirt's virDomainState, by name. */
export type LibvirtState =
  | "nostate"
  | "running"
  | "blocked"
  | "paused"
  | "shutdown"
  | "shutoff"
  | "crashed"
  | "pmsuspended";

export interface DomainState {
  state: LibvirtState;
  /** libvirt's reason for the state, e.g. "destroyed", "saved" (managed save), "user". */
  reason: string;
  /** The state mapped as Nova's libvirt driver maps it. */
  powerState: PowerState;
}

export interface DomainInfo extends DomainState {
  uuid: string;
  name: string;
}

/** Why a hypervisor call failed, so callers can ignore the benign cases (Nova checks libvirt codes). */
export type HypervisorErrorCode =
  | "no-domain" // VIR_ERR_NO_DOMAIN
  | "not-running" // VIR_ERR_OPERATION_INVALID: domain is not running
  | "already-running" // VIR_ERR_OPERATION_INVALID: domain is already running
  | "unsupported" // VIR_ERR_NO_SUPPORT / unsupported flags
  | "cancelled" // VIR_ERR_OPERATION_ABORTED: a job (migration) was cancelled
  | "timeout" // the call did not finish in time; the connection was reset
  | "connection" // the connection to the hypervisor failed or died
  | "failed"; // anything else libvirt refused

export class HypervisorError extends Error {
  override readonly name = "HypervisorError";
  constructor(
    message: string,
    readonly code: HypervisorErrorCode,
    /** The operation that failed, e.g. "start 1b2c…". */
    readonly operation: string,
  ) {
    super(message);
  }
}

export function isHypervisorError(e: unknown, ...codes: HypervisorErrorCode[]): e is HypervisorError {
  return e instanceof HypervisorError && (codes.length === 0 || codes.includes(e.code));
}

/** Emitted when the hypervisor connection was re-opened after it died or hung. */
export interface ConnectionReset {
  reason: string;
  /** True when domains held only by the old connection are gone (the test driver). */
  stateLost: boolean;
}

/** A live migration as Nova's libvirt driver starts it: migrateToURI3, peer to peer. */
export interface LiveMigrateRequest {
  /** The destination's libvirtd as the source's libvirtd reaches it. */
  destUri: string;
  /** tcp://<address> the destination's QEMU listens on for memory and disk streams. */
  dataUri: string;
  /** The domain as the destination runs it (its own paths), live and persistent. */
  destXml: string;
  persistentXml: string;
  /** Copy local disks into the destination's pre-created overlays (NON_SHARED_INC). */
  copyStorage: boolean;
  /** MiB/s; 0 for no cap (Nova's live_migration_bandwidth). */
  bandwidthMiBps: number;
}

/**
 * A hypervisor connection. Domains are addressed by uuid (the instance uuid), as Nova does.
 * Every call has a timeout; failures reject with HypervisorError.
 */
export interface Hypervisor {
  readonly uri: string;

  nodeInfo(): Promise<NodeInfo>;
  version(): Promise<HypervisorVersion>;
  capabilities(): Promise<HostCapabilities>;
  /** The hypervisor's host name (`virsh hostname`). */
  hostname(): Promise<string>;

  listDomains(): Promise<DomainInfo[]>;
  /** The domain's state, or null when no such domain exists. */
  domainState(uuid: string): Promise<DomainState | null>;
  /**
   * The running domain's id (`virsh domid`), null while it is not running. A guest that went down
   * and came back has a new id: soft reboot uses this to see that the guest really restarted.
   */
  domainId(uuid: string): Promise<number | null>;
  /**
   * The domain XML; `inactive` gives the persistent definition (what `define` accepts back),
   * `migratable` leaves out what another host must not be given (live migration).
   */
  getXml(uuid: string, options?: { inactive?: boolean; migratable?: boolean }): Promise<string>;

  /** Defines (or redefines) a persistent domain from its XML. */
  define(xml: string): Promise<void>;
  start(uuid: string): Promise<void>;
  /** Hard power-off (virsh destroy). */
  destroy(uuid: string): Promise<void>;
  /** Removes the definition together with its managed-save image and NVRAM. */
  undefine(uuid: string): Promise<void>;

  /** ACPI power-button shutdown; returns at once, the guest may ignore it. */
  shutdown(uuid: string): Promise<void>;
  /** ACPI reboot request (soft reboot). */
  reboot(uuid: string): Promise<void>;
  /** Hardware reset, like pressing the reset button. */
  reset(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  /** Saves the guest's memory to a libvirt-managed file and stops it (Nova's suspend). */
  managedSave(uuid: string): Promise<void>;

  /** Whether this driver can move a running guest to another host (the test driver cannot). */
  readonly canMigrateLive: boolean;
  /**
   * Live-migrates the domain (LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE): resolves when
   * the guest runs on the destination, rejects with code "cancelled" after an abort. Runs on a
   * connection of its own, so the calls below (job stats, abort) still answer meanwhile.
   */
  migrateLive(uuid: string, request: LiveMigrateRequest): Promise<void>;
  /** The domain's running job, or with `completed` its last finished one; null when no such domain. */
  jobStats(uuid: string, options?: { completed?: boolean }): Promise<JobStats | null>;
  /** Cancels the domain's running job (a migration). */
  abortJob(uuid: string): Promise<void>;
  /** Changes the running migration's bandwidth cap, MiB/s (0: none). */
  setMigrationBandwidth(uuid: string, mibPerSecond: number): Promise<void>;

  /** Subscribes to connection resets; returns the unsubscribe function. */
  onReset(listener: (event: ConnectionReset) => void): () => void;
  close(): Promise<void>;
}
