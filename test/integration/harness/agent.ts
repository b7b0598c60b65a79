// startAgent(): a real compute agent process (`tsx agent/main.ts`) on libvirt's test driver, with a
// simulated host of `cpus` vCPUs and `memoryMb` MiB, dialling the controller with its token file.
import path from "node:path";
import { query } from "./database";
import { bin, quietEnv, repoRoot, tempDir } from "./paths";
import { describeExit, launch, tail, type ExitInfo } from "./process";

export interface AgentOptions {
  host: string;
  controllerUrl: string;
  tokenFile: string;
  cpus?: number;
  memoryMb?: number;
  /** Default: a temp dir (image cache, instance disks, replay journal live here). */
  stateDir?: string;
  env?: Record<string, string>;
  logFile?: string;
}

export interface Agent {
  host: string;
  pid: number;
  stateDir: string;
  logs(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | null;
  /** Graceful: SIGTERM (or `signal`), SIGKILL after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** kill() / kill("SIGKILL"): the agent dies at once with everything it spawned, like a crash. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

export function startAgent(options: AgentOptions): Agent {
  const stateDir = path.resolve(options.stateDir ?? tempDir(`stratus-agent-${options.host}-`));
  const proc = launch(options.host, bin("tsx"), ["agent/main.ts"], {
    cwd: repoRoot,
    logFile: options.logFile,
    env: {
      ...quietEnv(),
      STRATUS_CONTROLLER_URL: options.controllerUrl,
      STRATUS_AGENT_HOST: options.host,
      STRATUS_AGENT_TOKEN_FILE: path.resolve(options.tokenFile),
      STRATUS_TEST_NODE_CPUS: String(options.cpus ?? 16),
      STRATUS_TEST_NODE_MEMORY_MB: String(options.memoryMb ?? 32768),
      STRATUS_STATE_DIR: stateDir,
      ...options.env,
    },
  });
  return {
    host: options.host,
    pid: proc.pid,
    stateDir,
    logs: proc.logs,
    waitForLog: proc.waitForLog,
    exited: proc.exited,
    exitInfo: proc.exitInfo,
    stop: proc.stop,
    kill: proc.kill,
  };
}

/**
 * Waits until every host has a compute_nodes row, i.e. its agent connected and reported its
 * resources. Reads the database directly, so it depends on no API shape.
 */
export async function waitForHypervisors(
  databaseUrl: string,
  hosts: string[],
  timeoutMs = 60_000,
  /** Agents to watch: if one exits meanwhile, fail at once with its output. */
  agents: Agent[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = hosts;
  while (Date.now() < deadline) {
    for (const agent of agents) {
      const exit = agent.exitInfo();
      if (exit) throw new Error(`agent ${agent.host} exited (${describeExit(exit)})\n${tail(agent.logs())}`);
    }
    try {
      const rows = await query<{ host: string }>(databaseUrl, "SELECT host FROM compute_nodes");
      const present = new Set(rows.map((r) => r.host));
      missing = hosts.filter((h) => !present.has(h));
      if (missing.length === 0) return;
    } catch {
      // the database may be busy or not migrated yet; try again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`hypervisors not registered after ${timeoutMs} ms: ${missing.join(", ")}`);
}
