// One child process as tests see it: its output kept in memory (and optionally echoed or written to
// a file), waitable for a log line, stoppable gracefully or killed like a crash.
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { startChild, type ExitInfo } from "../../../scripts/lib/children.mjs";

export type { ExitInfo };

export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Also append every line to this file. */
  logFile?: string;
  /** Echo lines to stderr with a [name] prefix (default: env STRATUS_TEST_ECHO=1). */
  echo?: boolean;
}

export interface ManagedProcess {
  name: string;
  pid: number;
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | null;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Resolves with the first line (past or future) matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Graceful: `signal` (SIGTERM), then SIGKILL to its process group after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (default) reaches the whole process group at once; another signal goes to the leader. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

const MAX_LINES = 50_000;

export function launch(name: string, command: string, args: string[], options: LaunchOptions): ManagedProcess {
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const echo = options.echo ?? process.env.STRATUS_TEST_ECHO === "1";
  if (options.logFile) mkdirSync(path.dirname(options.logFile), { recursive: true });

  const child = startChild(name, command, args, {
    cwd: options.cwd,
    env: options.env,
    onLine(line) {
      lines.push(line);
      if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
      if (options.logFile) appendFileSync(options.logFile, `${line}\n`);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    },
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(" ")}`);

  const logs = () => lines.join("\n");
  return {
    name,
    pid: child.pid,
    exited: child.exited,
    exitInfo: child.exitInfo,
    logs,
    waitForLog(pattern, timeoutMs = 30_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const fail = (why: string) => {
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name}: ${why} while waiting for ${pattern}\n--- ${name} output ---\n${tail(logs())}`));
        };
        const timer = setTimeout(() => fail(`no match after ${timeoutMs} ms`), timeoutMs);
        waiters.add(waiter);
        void child.exited.then((info) => {
          if (waiters.has(waiter)) fail(`exited (${describeExit(info)})`);
        });
      });
    },
    stop: (signal = "SIGTERM", timeoutMs = 15_000) => child.stop({ signal, timeoutMs }),
    async kill(signal = "SIGKILL") {
      if (signal === "SIGKILL") return child.kill();
      child.signal(signal);
      return child.exited;
    },
  };
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error.message}`;
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

/** The last lines of a log, for error messages. */
export function tail(text: string, count = 60): string {
  return text.split("\n").slice(-count).join("\n");
}
