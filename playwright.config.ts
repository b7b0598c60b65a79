// End-to-end tests: Debian's Chromium (never `playwright install`) against the production build,
// served by the controller and agents that e2e/global-setup.ts starts on port 3100 (or STRATUS_E2E_PORT).
import { defineConfig } from "@playwright/test";
import { baseURL } from "./e2e/fixtures/env";

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: "test-results",
  reporter: [["list"], ["json", { outputFile: "var/test-reports/e2e.json" }]],
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      // The machine has no outside network: stop Chromium's background calls before they start.
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
});
