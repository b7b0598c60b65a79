// The controller runs in production mode (as `npm start` and e2e run it), which serves the Next
// build in .next/. Build it when it is missing or older than its sources, once per test process.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { buildIsStale } from "../../../scripts/lib/freshness.mjs";
import { bin, quietEnv, repoRoot } from "./paths";

const run = promisify(execFile);
let building: Promise<void> | undefined;

export function ensureNextBuild(): Promise<void> {
  if (!buildIsStale(repoRoot)) return Promise.resolve();
  building ??= run(bin("next"), ["build"], { cwd: repoRoot, env: { ...quietEnv(), NODE_ENV: "production" }, maxBuffer: 64 * 1024 * 1024 }).then(
    () => undefined,
    (error: Error & { stdout?: string; stderr?: string }) => {
      building = undefined;
      throw new Error(`next build failed: ${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    },
  );
  return building;
}
