import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects: `unit` (fast, no processes or databases) and `integration` (real controller and
// agent processes, a real database: SQLite by default, PostgreSQL when TEST_DATABASE_URL says so).
//   npx vitest run --project unit
//   npx vitest run --project integration
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
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Files start controllers and agents: one at a time keeps 2 cores and ports sane.
          fileParallelism: false,
        },
      },
    ],
  },
});
