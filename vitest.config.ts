import path from "node:path";
import { defineConfig } from "vitest/config";

// Three projects: `unit` (fast, no processes or databases), `integration` (real controller and
// agent processes, a real database: SQLite by default, PostgreSQL when TEST_DATABASE_URL says so)
// and `qemu` (real QEMU guests under TCG on private libvirt daemons, driven through the agent;
// test/integration/qemu/, run once per `npm test`, on SQLite).
//   npx vitest run --project unit
//   npx vitest run --project integration
//   npx vitest run --project qemu          (npm run test:qemu)
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  test: {
    // An empty project is not a failure while the suite is being written.
    passWithNoTests: true,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: ["test/integration/qemu/**"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Files start controllers and agents: one at a time keeps 2 cores and ports sane.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "qemu",
          include: ["test/integration/qemu/**/*.test.ts"],
          environment: "node",
          // A TCG boot takes seconds, a soft reboot that falls back waits on purpose.
          testTimeout: 240_000,
          hookTimeout: 20 * 60_000,
          // Guests cost CPU: one file at a time (each keeps at most 2 boots in flight).
          fileParallelism: false,
        },
      },
    ],
  },
});
