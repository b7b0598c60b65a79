// Integration-test harness: real controller and agent processes on real databases.
//
//   const controller = await startController();               // fresh DB, migrated, seeded
//   const agent = startAgent({ host: "compute-1", controllerUrl: controller.url,
//                              tokenFile: controller.tokenFile("compute-1") });
//   await waitForHypervisors(controller.databaseUrl, ["compute-1"]);
//   ...
//   await agent.stop(); await controller.stop();
//
// The database comes from TEST_DATABASE_URL (a postgresql:// URL: a fresh database is created on
// that cluster per controller) or, when it is unset, a temp SQLite file. Every child runs in its own
// process group and is killed when the test process exits, however it exits (scripts/lib/children.mjs).
// STRATUS_TEST_ECHO=1 echoes the children's output live.
export {
  restartController,
  startController,
  waitForHealth,
  type Controller,
  type ControllerOptions,
  type Login,
  type RestartOptions,
} from "./controller";
export { startAgent, waitForHypervisors, type Agent, type AgentOptions } from "./agent";
export {
  createFreshDatabase,
  execute,
  isPostgres,
  migrateDatabase,
  prisma,
  query,
  seedDatabase,
  testDatabaseUrl,
} from "./database";
export { ensureNextBuild } from "./build";
export { freePort } from "./ports";
export { repoRoot, tempDir } from "./paths";
export type { ExitInfo, ManagedProcess } from "./process";
