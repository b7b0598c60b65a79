// Long-running child processes (controller, agents) that never outlive whoever started them.
// Used by scripts/start.mjs, the integration harness and the Playwright global setup.
//
// Each child runs in its own process group (detached), so one signal reaches it and everything it
// spawned (tsx's inner node, an agent's virsh shells). Three layers make sure nothing is orphaned:
//   1. the owner stops its children (stop(): SIGTERM, then SIGKILL to the group after a grace time);
//   2. a normal `exit` of the owner SIGKILLs any group still registered;
//   3. a tiny reaper process (reaper.mjs) holds a pipe from the owner and kills the registered
//      groups when that pipe closes, which also covers an owner killed with SIGKILL.
// Scratch directories registered with removeOnExit() are deleted the same ways.
// Only node builtins: start.mjs uses this before node_modules exists.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import readline from "node:readline";

const live = new Set();
const scratchDirs = new Set();
let reaper = null;

function tellReaper(line) {
  if (!reaper) {
    const script = fileURLToPath(new URL("./reaper.mjs", import.meta.url));
    reaper = spawn(process.execPath, [script], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    reaper.on("error", () => {});
    reaper.stdin.on("error", () => {});
    // The reaper and its pipe must not keep the owner's event loop alive.
    reaper.unref();
    reaper.stdin.unref?.();
  }
  reaper.stdin.write(`${line}\n`);
}

process.on("exit", () => {
  for (const pid of live) killGroup(pid, "SIGKILL");
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Deletes `dir` when the owner exits, by the same two routes as children: the `exit` handler, or
 * the reaper when the owner dies without one (vitest ends its workers with a signal).
 */
export function removeOnExit(dir) {
  scratchDirs.add(dir);
  tellReaper(`rm ${dir}`);
}

/** Sends `signal` to the whole process group led by `pid`; false if it is already gone. */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `command args` in its own process group with piped output, delivered line by line to
 * onLine(line, stream). Returns a handle: { name, pid, child, exited, exitInfo(), signal(sig),
 * stop({ signal, timeoutMs }), kill() }.
 */
export function startChild(name, command, args, { cwd, env, onLine = () => {} } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const pid = child.pid;
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.on("error", (error) => {
      exitInfo ??= { code: null, signal: null, error };
      resolve(exitInfo);
    });
    child.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      if (pid !== undefined) {
        live.delete(pid);
        tellReaper(`-${pid}`);
        // The leader is gone; anything it left in its group goes too.
        killGroup(pid, "SIGKILL");
      }
      resolve(exitInfo);
    });
  });
  if (pid !== undefined) {
    live.add(pid);
    tellReaper(`+${pid}`);
  }
  for (const [stream, source] of [
    ["stdout", child.stdout],
    ["stderr", child.stderr],
  ]) {
    readline.createInterface({ input: source, crlfDelay: Infinity }).on("line", (line) => onLine(line, stream));
  }

  const handle = {
    name,
    pid,
    child,
    exited,
    exitInfo: () => exitInfo,
    /** Signals the leader only: tsx relays it to the real node process once (a group signal would too). */
    signal(sig) {
      if (exitInfo || pid === undefined) return false;
      try {
        process.kill(pid, sig);
        return true;
      } catch {
        return false;
      }
    },
    /** Graceful stop: `signal` (SIGTERM), then SIGKILL to the group after timeoutMs. */
    async stop({ signal = "SIGTERM", timeoutMs = 10_000 } = {}) {
      if (exitInfo) return exitInfo;
      handle.signal(signal);
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), timeoutMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    /** Immediate SIGKILL of the whole group (a crash, as far as the child's peers can tell). */
    async kill() {
      if (exitInfo) return exitInfo;
      killGroup(pid, "SIGKILL");
      return exited;
    },
  };
  return handle;
}
