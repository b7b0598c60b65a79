// Types for children.mjs (kept in JS so start.mjs runs before node_modules exists).
import type { ChildProcess } from "node:child_process";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface ChildHandle {
  name: string;
  pid: number | undefined;
  child: ChildProcess;
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | null;
  signal(sig: NodeJS.Signals): boolean;
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<ExitInfo>;
  kill(): Promise<ExitInfo>;
}

export interface StartChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export function removeOnExit(dir: string): void;
export function killGroup(pid: number, signal: NodeJS.Signals): boolean;
export function startChild(name: string, command: string, args: string[], options?: StartChildOptions): ChildHandle;
