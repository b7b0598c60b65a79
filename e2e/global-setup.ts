// Starts what the e2e specs run against: the production controller on a fresh database (migrated,
// seeded with known passwords) and two compute agents on libvirt's test driver; waits until both
// hypervisors are registered. The returned function is Playwright's global teardown.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { repoRoot, startAgent, startController, waitForHypervisors, type Agent } from "../test/integration/harness";
import { agents, credentials, E2E_AGENTS_DIR, E2E_DATABASE, E2E_LOG_DIR, E2E_PORT } from "./fixtures/env";

export default async function globalSetup(): Promise<() => Promise<void>> {
  const database = path.join(repoRoot, E2E_DATABASE);
  const agentsDir = path.join(repoRoot, E2E_AGENTS_DIR);
  const logDir = path.join(repoRoot, E2E_LOG_DIR);
  // A fresh world each run: database, agent state (whose instances the new database would not know), logs.
  for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(`${database}${suffix}`, { force: true });
  rmSync(agentsDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });

  const controller = await startController({
    port: E2E_PORT,
    databaseUrl: `file:${database}`,
    agentsDir,
    agentHosts: agents.map((a) => a.host),
    adminPassword: credentials.admin.password,
    demoPassword: credentials.demo.password,
    logFile: path.join(logDir, "controller.log"),
    // A move left in VERIFY_RESIZE confirms itself after an hour: far beyond any spec, but on, so
    // the dashboard shows when.
    env: { STRATUS_RESIZE_CONFIRM_WINDOW: "3600" },
  });
  const started: Agent[] = agents.map((a) =>
    startAgent({
      host: a.host,
      cpus: a.cpus,
      memoryMb: a.memoryMb,
      controllerUrl: controller.url,
      tokenFile: controller.tokenFile(a.host),
      stateDir: path.join(agentsDir, a.host),
      logFile: path.join(logDir, `${a.host}.log`),
    }),
  );

  const teardown = async () => {
    await Promise.all(started.map((agent) => agent.stop()));
    await controller.stop();
  };
  try {
    await waitForHypervisors(controller.databaseUrl, agents.map((a) => a.host), 90_000, started);
  } catch (error) {
    await teardown();
    throw new Error(`${(error as Error).message}; see ${E2E_LOG_DIR}/`);
  }
  return teardown;
}
