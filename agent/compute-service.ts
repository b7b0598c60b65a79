// The compute service of one host (nova-compute's Service): wires the hypervisor, the controller
// connection, the outbox, the log shipper, the instance storage and image cache, the compute manager,
// the console log service, reconciliation and the power-state sync, and decides when to reconcile.
import { mkdirSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { RegisterAck, RegisterPayload } from "@/lib/agent-protocol";
import { isLiveMigrationRpc } from "@/lib/live-migration-protocol";
import { isMigrationRpc } from "@/lib/migration-protocol";
import { getLogger } from "@/server/logs/logger";
import type { AgentConfig } from "./config";
import { ComputeManager } from "./compute-manager";
import { ConsoleService } from "./console/console-service";
import { AgentConnection } from "./connection";
import type { Hypervisor } from "./driver/hypervisor";
import { LibvirtHypervisor } from "./driver/libvirt-hypervisor";
import { LifecycleEventMonitor } from "./driver/lifecycle-events";
import { writeTestNode } from "./driver/test-node";
import { isInstanceDirName } from "./imagecache/cache-paths";
import { createHostStorage, type HostStorage } from "./imagecache/host-storage";
import { LogShipper } from "./log-shipper";
import { LiveMigrationTasks } from "./migration/live-migration-tasks";
import { MigrationTasks } from "./migration/migration-tasks";
import { TransferServer } from "./migration/transfer-server";
import { filesystemGb, readDomainReports, readNodeResources } from "./node-resources";
import { Outbox } from "./outbox";
import { PowerSync } from "./power-sync";
import { reconcile, type ReconcileMode } from "./reconcile";

const log = () => getLogger("stratus.compute.service");

function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export class ComputeService {
  readonly hypervisor: Hypervisor;
  readonly manager: ComputeManager;
  readonly console: ConsoleService;
  /** Receives migrating disks from other hosts. */
  private readonly transfer: TransferServer;
  private readonly migrations: MigrationTasks;
  private readonly liveMigrations: LiveMigrationTasks;
  private readonly config: AgentConfig;
  private readonly outbox: Outbox;
  private readonly shipper: LogShipper;
  private readonly power: PowerSync;
  private readonly connection: AgentConnection;
  private readonly storage: HostStorage;
  private readonly events: LifecycleEventMonitor | null;
  private readonly version = agentVersion();
  private localGb = 0;
  /** The reconciliation owed at the next registration whose database view is current. */
  private pendingMode: ReconcileMode | null = "init-host";
  private waitingForDrain = false;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(config: AgentConfig) {
    this.config = config;
    this.hypervisor = new LibvirtHypervisor({ uri: config.libvirtUri, timeoutMs: config.callTimeoutMs });
    const send = (event: string, payload: unknown): Promise<unknown> => this.connection.send(event, payload);
    this.outbox = new Outbox({
      send,
      journalPath: config.outboxJournal,
      onRefused: (event, payload, error) =>
        getLogger("stratus.compute.outbox", { instanceUuid: (payload as { uuid?: string }).uuid ?? null }).warn(
          `The controller refused ${event}: ${error}`,
        ),
    });
    this.shipper = new LogShipper({ send });
    this.power = new PowerSync({
      hypervisor: this.hypervisor,
      reporter: this.outbox,
      isBusy: (uuid) => this.manager.isBusy(uuid),
      intervalMs: config.powerSyncIntervalMs,
    });
    this.storage = createHostStorage(config);
    this.manager = new ComputeManager({
      host: config.host,
      hypervisor: this.hypervisor,
      reporter: this.outbox,
      power: this.power,
      storage: this.storage.storage,
      instancesPath: config.instancesPath,
      timings: { shutdownTimeoutMs: config.shutdownTimeoutMs, softRebootWaitMs: config.softRebootWaitMs },
    });
    // The console log (get_console_output, live follow) is read from the files libvirt writes.
    this.transfer = new TransferServer(config.transfer);
    this.migrations = new MigrationTasks({
      rt: this.manager.runtime,
      transfer: this.transfer,
      sendBytesPerSec: config.transferBandwidthBytesPerSec,
      locked: (uuid, task) => this.manager.locked(uuid, task),
    });
    this.liveMigrations = new LiveMigrationTasks({
      rt: this.manager.runtime,
      settings: config.liveMigration,
      instancesPath: config.instancesPath,
      locked: (uuid, task) => this.manager.locked(uuid, task),
      send,
    });
    this.console = new ConsoleService({
      host: config.host,
      consoleLogPath: (uuid) => this.storage.storage.consoleLogPath(uuid),
      testHypervisor: config.libvirtUri.startsWith("test:"),
      hypervisor: this.hypervisor,
      send,
    });
    // Lifecycle events turn into a power-state sync at once. Not on test:///: its state lives in
    // the agent's own connection, which another virsh process cannot watch.
    this.events = config.libvirtUri.startsWith("test:")
      ? null
      : new LifecycleEventMonitor({
          uri: config.libvirtUri,
          onEvent: (e) => {
            if (e.kind !== "lifecycle" && e.kind !== "reboot") return;
            log().debug(`Domain event ${e.kind} for ${e.domain}: ${e.detail}`);
            this.power.syncSoon();
          },
          onStatus: (message) => log().warn(message),
        });
    this.connection = new AgentConnection({
      controllerUrl: config.controllerUrl,
      host: config.host,
      token: config.token,
      ackTimeoutMs: config.ackTimeoutMs,
      registration: () => this.registration(),
      onRegistered: (ack) => this.onRegistered(ack),
      onOnline: (online) => {
        this.outbox.setOnline(online);
        this.shipper.setOnline(online);
        this.console.setOnline(online);
      },
      onRpc: (payload) =>
        this.console.handles(payload)
          ? this.console.handleRpc(payload)
          : isMigrationRpc(payload)
            ? this.migrations.handleRpc(payload)
            : isLiveMigrationRpc(payload)
              ? this.liveMigrations.handleRpc(payload)
              : this.manager.handleRpc(payload),
      heartbeatDomains: () => readDomainReports(this.hypervisor),
    });
    this.hypervisor.onReset((event) => {
      log().warn(`The hypervisor connection was reset: ${event.reason}`);
      if (event.stateLost) {
        // Its domains went with the old connection: stop reporting them as gone, re-create them.
        this.power.pause();
        this.pendingMode ??= "hypervisor-reset";
      }
      this.connection.requestRegister();
    });
  }

  /** Prepares the host, checks the hypervisor answers, then starts talking to the controller. */
  async start(): Promise<void> {
    const c = this.config;
    if (c.testNode) {
      writeTestNode(c.testNode.file, { cpus: c.testNode.cpus, memoryMb: c.testNode.memoryMb });
      log().info(`Simulated host: ${c.testNode.cpus} vCPUs, ${c.testNode.memoryMb} MB RAM (${c.testNode.file})`);
    }
    mkdirSync(c.instancesPath, { recursive: true });
    this.localGb = c.diskGb ?? filesystemGb(c.instancesPath);
    const node = await readNodeResources(this.hypervisor, { host: c.host, localGb: this.localGb });
    log().info(
      `Hypervisor ${node.hypervisorType} ${node.hypervisorVersion} at ${c.libvirtUri}: ${node.vcpus} vCPUs, ` +
        `${node.memoryMb} MB RAM, ${node.localGb} GB disk (${c.instancesPath})`,
    );
    if (this.outbox.size > 0) log().info(`Replaying ${this.outbox.size} reports left over from the last run`);
    this.shipper.start();
    this.power.start();
    this.events?.start();
    this.storage.cacheManager.start();
    await this.transfer.start();
    this.connection.start();
  }

  async stop(): Promise<void> {
    this.console.stop();
    this.power.stop();
    this.events?.stop();
    await this.storage.cacheManager.stop();
    // Tasks waiting on a controller that is gone would never finish: give them a moment only.
    await Promise.race([this.manager.stop(), new Promise((r) => setTimeout(r, 5000))]);
    await Promise.race([this.shipper.flush(), new Promise((r) => setTimeout(r, 1000))]);
    this.shipper.stop();
    this.outbox.close();
    this.connection.close();
    await this.transfer.close();
    await this.hypervisor.close();
  }

  private async registration(): Promise<RegisterPayload> {
    return {
      host: this.config.host,
      version: this.version,
      pid: process.pid,
      node: await readNodeResources(this.hypervisor, { host: this.config.host, localGb: this.localGb }),
      domains: await readDomainReports(this.hypervisor),
      instanceDirs: await this.instanceDirs(),
    };
  }

  /** The instance directories under the instances path (the controller names leftovers among them). */
  private async instanceDirs(): Promise<string[]> {
    try {
      const entries = await readdir(this.config.instancesPath, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isInstanceDirName(e.name)).map((e) => e.name);
    } catch (err) {
      log().warn(`Could not list ${this.config.instancesPath}: ${err instanceof Error ? err.message : err}`);
      return [];
    }
  }

  private onRegistered(ack: RegisterAck): void {
    if (this.outbox.size > 0) {
      // The database does not know yet what the queued reports say: reconcile against a fresh
      // view once they are in.
      if (!this.waitingForDrain) {
        this.waitingForDrain = true;
        void this.outbox.drained().then(() => {
          this.waitingForDrain = false;
          this.connection.requestRegister();
        });
      }
      return;
    }
    const mode = this.pendingMode ?? "reconnect";
    this.pendingMode = null;
    this.power.resetTo(ack.instances.filter((i) => i.spec.vmState !== "deleted").map((i) => i.spec));
    // One reconciliation at a time: a second registration's pass starts after the first's.
    const deps = { hypervisor: this.hypervisor, manager: this.manager, reporter: this.outbox };
    this.reconciling = this.reconciling
      .then(() => reconcile(deps, ack.instances, mode, ack))
      .then(() => undefined)
      .catch((err: unknown) => {
        log().error({ err }, `Reconciliation with the hypervisor failed (${mode}); retrying soon`);
        this.pendingMode ??= mode;
        setTimeout(() => this.connection.requestRegister(), this.config.powerSyncIntervalMs).unref();
      })
      .finally(() => {
        this.power.resume();
        void this.power.syncNow();
      });
  }
}
