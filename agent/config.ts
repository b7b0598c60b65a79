// The compute agent's configuration, from the environment with command-line flags on top,
// validated once at start-up: a bad value stops the agent (exit 2) with a message naming it.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { testNodeUri } from "./driver/test-node";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const positive = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  STRATUS_CONTROLLER_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:3000"),
  STRATUS_AGENT_HOST: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "host names are letters, digits, '.', '_' and '-'")
    .max(255)
    .default(os.hostname()),
  STRATUS_AGENT_TOKEN: z.string().optional(),
  STRATUS_AGENT_TOKEN_FILE: z.string().optional(),
  /** Where the agent keeps its own files (test node, outbox journal); default var/agents/<host>. */
  STRATUS_STATE_DIR: z.string().optional(),
  /** Without it the agent runs libvirt's test driver on a simulated host of this size. */
  STRATUS_LIBVIRT_URI: z.string().min(1).optional(),
  STRATUS_TEST_NODE_CPUS: positiveInt.default(16),
  STRATUS_TEST_NODE_MEMORY_MB: positiveInt.default(32768),
  /** Nova's instances_path; default <state dir>/instances. */
  STRATUS_INSTANCES_PATH: z.string().optional(),
  /** Local disk to report; default the size of the file system holding the instances path. */
  STRATUS_DISK_GB: z.coerce.number().int().nonnegative().optional(),
  /** Timeout of every hypervisor call, in seconds. */
  STRATUS_CALL_TIMEOUT: positive.default(60),
  /** Nova's sync_power_state_interval (600 s there; short here so the UI follows quickly). */
  STRATUS_POWER_SYNC_INTERVAL: positive.default(10),
  /** How long to wait for the controller to acknowledge a message, in seconds. */
  STRATUS_ACK_TIMEOUT: positive.default(15),
  /** Nova's shutdown_timeout: seconds a guest gets to honour an ACPI shutdown before it is destroyed. */
  STRATUS_SHUTDOWN_TIMEOUT: positive.default(60),
  /** Nova's [libvirt] wait_soft_reboot_seconds: a soft reboot becomes a hard one after this long. */
  STRATUS_WAIT_SOFT_REBOOT_SECONDS: positive.default(120),
  /** Nova's [image_cache] manager_interval: seconds between image cache passes; 0 disables them. */
  STRATUS_IMAGE_CACHE_INTERVAL: z.coerce.number().nonnegative().default(2400),
  /** Nova's remove_unused_original_minimum_age_seconds: an unused base younger than this stays. */
  STRATUS_REMOVE_UNUSED_ORIGINAL_MINIMUM_AGE_SECONDS: z.coerce.number().nonnegative().default(86400),
  /** An image download that receives nothing for this many seconds is abandoned. */
  STRATUS_IMAGE_DOWNLOAD_STALL_TIMEOUT: positive.default(60),
  /** Where this host receives migrating disks: listen address and port (0: any free one). */
  STRATUS_TRANSFER_ADDRESS: z.string().min(1).default("127.0.0.1"),
  STRATUS_TRANSFER_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** The name other compute hosts reach this one by, when it is not the listen address. */
  STRATUS_TRANSFER_ADVERTISE: z.string().min(1).optional(),
  /**
   * Live migration into this host: the URI other hosts' libvirtd reach this one's by (Nova's
   * live_migration_uri; default qemu+tcp://<inbound address>/system) and the address this host's
   * QEMU takes memory and disk streams on (Nova's live_migration_inbound_addr; default the host name).
   */
  STRATUS_LIVE_MIGRATION_URI: z.string().regex(/^[a-z0-9+]+:\/\//, "a libvirt URI such as qemu+tcp://host/system").optional(),
  STRATUS_LIVE_MIGRATION_INBOUND_ADDR: z.string().regex(/^[A-Za-z0-9.:-]+$/, "a host name or IP address").optional(),
  /** Outgoing live migrations' bandwidth cap in MiB/s; 0 for none (Nova's live_migration_bandwidth). */
  STRATUS_LIVE_MIGRATION_BANDWIDTH: z.coerce.number().int().min(0).default(0),
  /** MiB/s this host sends a migrating disk at, at most; 0: as fast as it goes. */
  STRATUS_TRANSFER_BANDWIDTH: z.coerce.number().nonnegative().default(0),
});

export interface AgentConfig {
  controllerUrl: string;
  host: string;
  token: string;
  stateDir: string;
  libvirtUri: string;
  /** Set when the agent should write a test-driver node file (no STRATUS_LIBVIRT_URI given). */
  testNode: { file: string; cpus: number; memoryMb: number } | null;
  instancesPath: string;
  diskGb: number | null;
  callTimeoutMs: number;
  powerSyncIntervalMs: number;
  ackTimeoutMs: number;
  /** The persistent outbox, so reports survive an agent restart too. */
  outboxJournal: string;
  shutdownTimeoutMs: number;
  softRebootWaitMs: number;
  /** Image cache passes (0: never) and the age an unused base must reach before removal. */
  imageCacheIntervalMs: number;
  removeUnusedOriginalMinimumAgeMs: number;
  imageDownloadStallMs: number;
  transfer: { address: string; port: number; advertise?: string };
  liveMigration: { uri: string; inboundAddress: string; bandwidthMiBps: number };
  /** Bytes per second a migrating disk is sent at, at most; 0: no limit. */
  transferBandwidthBytesPerSec: number;
}

/** Flags and the variables they set; `--name value` and `--name=value` both work. */
const FLAGS = {
  controller: "STRATUS_CONTROLLER_URL",
  host: "STRATUS_AGENT_HOST",
  token: "STRATUS_AGENT_TOKEN",
  "token-file": "STRATUS_AGENT_TOKEN_FILE",
  "state-dir": "STRATUS_STATE_DIR",
  "libvirt-uri": "STRATUS_LIBVIRT_URI",
  "test-node-cpus": "STRATUS_TEST_NODE_CPUS",
  "test-node-memory-mb": "STRATUS_TEST_NODE_MEMORY_MB",
  "instances-path": "STRATUS_INSTANCES_PATH",
  "disk-gb": "STRATUS_DISK_GB",
  "call-timeout": "STRATUS_CALL_TIMEOUT",
  "power-sync-interval": "STRATUS_POWER_SYNC_INTERVAL",
  "ack-timeout": "STRATUS_ACK_TIMEOUT",
  "shutdown-timeout": "STRATUS_SHUTDOWN_TIMEOUT",
  "wait-soft-reboot-seconds": "STRATUS_WAIT_SOFT_REBOOT_SECONDS",
  "image-cache-interval": "STRATUS_IMAGE_CACHE_INTERVAL",
  "remove-unused-original-minimum-age-seconds": "STRATUS_REMOVE_UNUSED_ORIGINAL_MINIMUM_AGE_SECONDS",
  "image-download-stall-timeout": "STRATUS_IMAGE_DOWNLOAD_STALL_TIMEOUT",
  "transfer-address": "STRATUS_TRANSFER_ADDRESS",
  "transfer-port": "STRATUS_TRANSFER_PORT",
  "transfer-advertise": "STRATUS_TRANSFER_ADVERTISE",
  "live-migration-uri": "STRATUS_LIVE_MIGRATION_URI",
  "live-migration-inbound-addr": "STRATUS_LIVE_MIGRATION_INBOUND_ADDR",
  "live-migration-bandwidth": "STRATUS_LIVE_MIGRATION_BANDWIDTH",
  "transfer-bandwidth": "STRATUS_TRANSFER_BANDWIDTH",
} as const;

export const USAGE = `usage: npx tsx agent/main.ts [options]

Options (each also read from the environment variable shown):
${Object.entries(FLAGS)
  .map(([flag, env]) => `  --${flag.padEnd(22)} ${env}`)
  .join("\n")}
  --help                   show this help`;

/** Thrown for --help: not an error, but the agent must not start. */
export class HelpRequested extends Error {}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  argv: string[] = process.argv.slice(2),
  cwd: string = process.cwd(),
): AgentConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: "string" as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } }, strict: true }).values;
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
  if (values.help) throw new HelpRequested(USAGE);
  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, name] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v === "string") merged[name] = v;
  }
  // An empty variable means "not set", as in a shell `VAR= cmd`.
  for (const name of Object.values(FLAGS)) if (merged[name] === "") delete merged[name];

  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  const stateDir = path.resolve(cwd, c.STRATUS_STATE_DIR ?? path.join("var", "agents", c.STRATUS_AGENT_HOST));
  // The seed writes each host's token to var/agents/<host>/token: the default state dir's token.
  const defaultTokenFile = path.join(stateDir, "token");
  const tokenFile =
    c.STRATUS_AGENT_TOKEN_FILE ?? (c.STRATUS_AGENT_TOKEN || !existsSync(defaultTokenFile) ? undefined : defaultTokenFile);
  const token = readToken(c.STRATUS_AGENT_TOKEN, tokenFile, cwd, defaultTokenFile);
  const testNodeFile = path.join(stateDir, "node.xml");
  return {
    controllerUrl: c.STRATUS_CONTROLLER_URL.replace(/\/+$/, ""),
    host: c.STRATUS_AGENT_HOST,
    token,
    stateDir,
    libvirtUri: c.STRATUS_LIBVIRT_URI ?? testNodeUri(testNodeFile),
    testNode: c.STRATUS_LIBVIRT_URI
      ? null
      : { file: testNodeFile, cpus: c.STRATUS_TEST_NODE_CPUS, memoryMb: c.STRATUS_TEST_NODE_MEMORY_MB },
    instancesPath: path.resolve(cwd, c.STRATUS_INSTANCES_PATH ?? path.join(stateDir, "instances")),
    diskGb: c.STRATUS_DISK_GB ?? null,
    callTimeoutMs: c.STRATUS_CALL_TIMEOUT * 1000,
    powerSyncIntervalMs: c.STRATUS_POWER_SYNC_INTERVAL * 1000,
    ackTimeoutMs: c.STRATUS_ACK_TIMEOUT * 1000,
    outboxJournal: path.join(stateDir, "outbox.jsonl"),
    shutdownTimeoutMs: c.STRATUS_SHUTDOWN_TIMEOUT * 1000,
    softRebootWaitMs: c.STRATUS_WAIT_SOFT_REBOOT_SECONDS * 1000,
    imageCacheIntervalMs: c.STRATUS_IMAGE_CACHE_INTERVAL * 1000,
    removeUnusedOriginalMinimumAgeMs: c.STRATUS_REMOVE_UNUSED_ORIGINAL_MINIMUM_AGE_SECONDS * 1000,
    imageDownloadStallMs: c.STRATUS_IMAGE_DOWNLOAD_STALL_TIMEOUT * 1000,
    transfer: {
      address: c.STRATUS_TRANSFER_ADDRESS,
      port: c.STRATUS_TRANSFER_PORT,
      ...(c.STRATUS_TRANSFER_ADVERTISE ? { advertise: c.STRATUS_TRANSFER_ADVERTISE } : {}),
    },
    transferBandwidthBytesPerSec: Math.round(c.STRATUS_TRANSFER_BANDWIDTH * 1024 * 1024),
    liveMigration: liveMigrationConfig(c),
  };
}

function liveMigrationConfig(c: z.infer<typeof envSchema>): AgentConfig["liveMigration"] {
  const inboundAddress = c.STRATUS_LIVE_MIGRATION_INBOUND_ADDR ?? os.hostname();
  // An IPv6 literal needs brackets inside a URI.
  const uriHost = inboundAddress.includes(":") ? `[${inboundAddress}]` : inboundAddress;
  return {
    uri: c.STRATUS_LIVE_MIGRATION_URI ?? `qemu+tcp://${uriHost}/system`,
    inboundAddress,
    bandwidthMiBps: c.STRATUS_LIVE_MIGRATION_BANDWIDTH,
  };
}

function readToken(inline: string | undefined, file: string | undefined, cwd: string, defaultFile: string): string {
  if (inline && file) throw new ConfigError("set STRATUS_AGENT_TOKEN or STRATUS_AGENT_TOKEN_FILE, not both");
  let token: string;
  if (inline) {
    token = inline;
  } else if (file) {
    const abs = path.resolve(cwd, file);
    try {
      token = readFileSync(abs, "utf8").trim();
    } catch (e) {
      throw new ConfigError(`STRATUS_AGENT_TOKEN_FILE: cannot read ${abs}: ${e instanceof Error ? e.message : e}`);
    }
  } else {
    throw new ConfigError(`no agent token: set STRATUS_AGENT_TOKEN or STRATUS_AGENT_TOKEN_FILE (or put it in ${defaultFile})`);
  }
  if (token.length < 16 || token.length > 256) {
    throw new ConfigError(`the agent token must be 16 to 256 characters (got ${token.length})`);
  }
  return token;
}
