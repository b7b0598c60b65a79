// startController(): a real controller process (`tsx server.ts`, production mode) on its own port
// and database, migrated and seeded like `npm start` does, ready once /api/health answers.
import path from "node:path";
import { ensureNextBuild } from "./build";
import { createFreshDatabase, migrateDatabase, seedDatabase } from "./database";
import { bin, quietEnv, repoRoot, tempDir } from "./paths";
import { assertPortFree, freePort } from "./ports";
import { describeExit, launch, tail, type ExitInfo, type ManagedProcess } from "./process";

export interface ControllerOptions {
  /** Default: a free port. */
  port?: number;
  /** Default: a fresh database (TEST_DATABASE_URL's cluster, else a temp SQLite file). */
  databaseUrl?: string;
  /** Extra environment for the controller (STRATUS_HOST, STRATUS_REPORT_INTERVAL, ...). */
  env?: Record<string, string>;
  /** Run `prisma migrate deploy` first (default true; false to restart on an existing database). */
  migrate?: boolean;
  /** Run prisma/seed.ts first (default true). */
  seed?: boolean;
  /** Hosts that get an agent token (default compute-1, compute-2). */
  agentHosts?: string[];
  /** Where token files go: <agentsDir>/<host>/token (default: a temp dir). */
  agentsDir?: string;
  adminPassword?: string;
  demoPassword?: string;
  /** Also write the controller's output to this file. */
  logFile?: string;
  healthTimeoutMs?: number;
}

export interface Login {
  username: string;
  password: string;
}

export interface Controller {
  url: string;
  port: number;
  databaseUrl: string;
  agentsDir: string;
  pid: number;
  credentials: { admin: Login; demo: Login };
  /** The token file the seed wrote for `host`. */
  tokenFile(host: string): string;
  logs(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | null;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

export async function startController(options: ControllerOptions = {}): Promise<Controller> {
  await ensureNextBuild();
  const port = options.port ?? (await freePort());
  const scratch = tempDir("stratus-controller-");
  const databaseUrl = options.databaseUrl ?? (await createFreshDatabase());
  const agentsDir = path.resolve(options.agentsDir ?? path.join(scratch, "agents"));
  const credentials = {
    admin: { username: "admin", password: options.adminPassword ?? "admin-test-pass" },
    demo: { username: "demo", password: options.demoPassword ?? "demo-test-pass" },
  };

  if (options.migrate !== false) await migrateDatabase(databaseUrl);
  if (options.seed !== false) {
    await seedDatabase(databaseUrl, {
      adminPassword: credentials.admin.password,
      demoPassword: credentials.demo.password,
      agentHosts: options.agentHosts ?? ["compute-1", "compute-2"],
      agentsDir,
      credentialsFile: path.join(scratch, "credentials.txt"),
    });
  }

  await assertPortFree(port);
  const proc = launch("controller", bin("tsx"), ["server.ts"], {
    cwd: repoRoot,
    logFile: options.logFile,
    env: {
      ...quietEnv(),
      NODE_ENV: "production",
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, proc, options.healthTimeoutMs ?? 120_000);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return {
    url,
    port,
    databaseUrl,
    agentsDir,
    pid: proc.pid,
    credentials,
    tokenFile: (host) => path.join(agentsDir, host, "token"),
    logs: proc.logs,
    waitForLog: proc.waitForLog,
    exited: proc.exited,
    exitInfo: proc.exitInfo,
    stop: proc.stop,
    kill: proc.kill,
  };
}

export interface RestartOptions {
  /** The new process's extra environment (replaces the old one's). */
  env?: Record<string, string>;
  /** Runs after the old process is gone and its port is free, before the new one starts. */
  whileDown?: () => Promise<void>;
}

/**
 * Kills `old` like a crash (SIGKILL to its process group) and starts a controller again on the same
 * port, database and agent tokens, as an operator's restart would: nothing is migrated or seeded.
 */
export async function restartController(old: Controller, { env, whileDown }: RestartOptions = {}): Promise<Controller> {
  await old.kill("SIGKILL");
  // The group is signalled at once, but the kernel frees the listening socket a moment later.
  const deadline = Date.now() + 15_000;
  while (!(await assertPortFree(old.port).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`port ${old.port} still in use after the controller was killed`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await whileDown?.();
  return startController({
    port: old.port,
    databaseUrl: old.databaseUrl,
    agentsDir: old.agentsDir,
    adminPassword: old.credentials.admin.password,
    demoPassword: old.credentials.demo.password,
    migrate: false,
    seed: false,
    env,
  });
}

/** Polls GET /api/health until it answers 2xx; fails early if the process exits. */
export async function waitForHealth(url: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const exit = proc.exitInfo();
    if (exit) throw new Error(`${proc.name} exited (${describeExit(exit)}) before ${url}/api/health answered\n${tail(proc.logs())}`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/api/health not ready after ${timeoutMs} ms (${last})\n${tail(proc.logs())}`);
}
