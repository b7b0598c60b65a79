// Started by children.mjs. Reads lines on stdin: "+<pgid>" / "-<pgid>" (a process group started /
// ended) and "rm <dir>" (a scratch directory). When stdin closes (its owner exited or was killed,
// even with SIGKILL), it terminates every process group still registered (SIGTERM, then SIGKILL
// after a short grace time) and then deletes the directories.
import { rmSync } from "node:fs";

const groups = new Set();
const dirs = new Set();
let pending = "";

function signalAll(signal) {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      groups.delete(pgid); // already gone
    }
  }
}

function finish() {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

function handle(line) {
  if (line.startsWith("rm ")) {
    dirs.add(line.slice(3));
    return;
  }
  const pgid = Number(line.slice(1));
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  if (line.startsWith("+")) groups.add(pgid);
  else if (line.startsWith("-")) groups.delete(pgid);
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  lines.forEach(handle);
});
process.stdin.on("close", () => {
  signalAll("SIGTERM");
  if (groups.size === 0) return finish();
  setTimeout(() => {
    signalAll("SIGKILL");
    finish();
  }, 5_000);
});
// The reaper runs detached in its own session, but a stray terminal signal must not stop it early.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => {});
