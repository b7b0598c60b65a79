// One long-lived interactive `virsh` per hypervisor connection. libvirt's test driver keeps its
// state in the connection, so a virsh spawned per call would start from an empty host every time;
// one shell also saves the ~50 ms start-up of each call.
//
// Protocol: commands go to virsh's stdin one at a time, each followed by `echo <marker>`. virsh
// prints a prompt, echoes every command line (even on a pipe) and prints errors as `error: ...`
// lines (stderr is merged into stdout so they stay in order). The marker's own output, at the
// start of a line, ends the command's output.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { EventEmitter } from "node:events";

const MARKER = "__STRATUS_END__";
/** virsh's prompt: `virsh # ` read-write, `virsh > ` read-only. */
const PROMPT = /^virsh [#>] /;

export type VirshFailureKind = "command" | "timeout" | "exited";

export class VirshError extends Error {
  override readonly name = "VirshError";
  constructor(
    message: string,
    readonly kind: VirshFailureKind,
    /** The command line as sent. */
    readonly command: string,
    /** The `error:` lines virsh printed, without the prefix (libvirt's own message is the last). */
    readonly errors: string[] = [],
  ) {
    super(message);
  }
}

export interface VirshShellOptions {
  uri: string;
  /** Default per-command timeout. */
  timeoutMs: number;
  /** The virsh executable (tests may point elsewhere). */
  binary?: string;
}

export interface VirshRunOptions {
  timeoutMs?: number;
}

/** Why a shell holding state went away; the owner reconciles (domains on test:/// are gone). */
export interface VirshShellReset {
  reason: string;
}

interface Pending {
  seq: number;
  line: string;
  resolve: (output: string) => void;
  reject: (error: VirshError) => void;
  timer: NodeJS.Timeout;
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for virsh's own shell-like parser (single quotes are literal there). */
export function quoteVirshArg(arg: string): string {
  if (/[\n\r\0]/.test(arg)) throw new Error(`virsh arguments cannot contain line breaks: ${JSON.stringify(arg)}`);
  if (SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function virshCommandLine(args: readonly string[]): string {
  if (args.length === 0) throw new Error("empty virsh command");
  return args.map(quoteVirshArg).join(" ");
}

/** Splits a command's raw output into its text and the `error:` lines. */
export function parseCommandOutput(raw: string, line: string, seq: number): { text: string; errors: string[] } {
  let text = raw;
  // Drop the echoed `echo <marker>` line (and the prompt before it)...
  const echo = `echo ${MARKER} ${seq}\n`;
  const end = text.lastIndexOf(echo);
  if (end >= 0) text = text.slice(0, end);
  text = text.replace(/virsh [#>] $/, "");
  // ...and the echoed command line at the start.
  text = text.replace(PROMPT, "");
  if (text.startsWith(line + "\n")) text = text.slice(line.length + 1);
  else if (text === line) text = "";
  const errors: string[] = [];
  const kept: string[] = [];
  for (const l of text.split("\n")) {
    if (l.startsWith("error: ")) errors.push(l.slice("error: ".length).trim());
    else kept.push(l);
  }
  return { text: kept.join("\n"), errors };
}

export interface VirshShellEvents {
  reset: [VirshShellReset];
}

export class VirshShell extends EventEmitter<VirshShellEvents> {
  readonly uri: string;
  private readonly timeoutMs: number;
  private readonly binary: string;
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffer = "";
  private seq = 0;
  private pending: Pending | null = null;
  /** Commands run strictly one after another: virsh reads stdin sequentially anyway. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Commands the current child has answered: losing it only matters if it held state. */
  private completedOnChild = 0;
  private closed = false;

  constructor(options: VirshShellOptions) {
    super();
    this.uri = options.uri;
    this.timeoutMs = options.timeoutMs;
    this.binary = options.binary ?? "virsh";
  }

  /** The virsh process id, or null when none is running (for diagnostics and tests). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Runs one virsh command; resolves with its output, rejects with VirshError. */
  run(args: readonly string[], options: VirshRunOptions = {}): Promise<string> {
    let line: string;
    try {
      line = virshCommandLine(args);
    } catch (e) {
      return Promise.reject(e);
    }
    const result = this.queue.then(() => this.execute(line, options.timeoutMs ?? this.timeoutMs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the shell; queued and later commands fail. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 1000);
      child.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      child.stdin.end("quit\n");
    });
  }

  private execute(line: string, timeoutMs: number): Promise<string> {
    if (this.closed) return Promise.reject(new VirshError("the virsh shell is closed", "exited", line));
    const child = this.ensureChild();
    const seq = ++this.seq;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(seq, timeoutMs), timeoutMs);
      this.pending = { seq, line, resolve, reject, timer };
      child.stdin.write(`${line}\necho ${MARKER} ${seq}\n`);
    });
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    // `exec` so the pid is virsh's own; the URI is a positional parameter, never parsed by sh.
    const child = spawn("sh", ["-c", `exec "$0" -q -c "$1" 2>&1`, this.binary, this.uri], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (this.child !== child) return;
      this.buffer += chunk;
      this.settle();
    });
    // Writes to a dead child fail asynchronously; the exit handler reports it.
    child.stdin.on("error", () => undefined);
    child.on("error", (err) => this.onChildGone(child, `cannot run ${this.binary}: ${err.message}`));
    // "close", not "exit": virsh's last words (why it could not connect) must be read first.
    child.on("close", (code, signal) =>
      this.onChildGone(child, `virsh exited (${signal ?? `code ${code}`})`),
    );
    this.child = child;
    this.buffer = "";
    this.completedOnChild = 0;
    return child;
  }

  /** Completes the pending command once its marker line has arrived. */
  private settle(): void {
    const p = this.pending;
    if (!p) return;
    const marker = new RegExp(`(^|\\n)${MARKER} ${p.seq}(?=virsh [#>] |\\n|$)`);
    const m = marker.exec(this.buffer);
    if (!m) return;
    const raw = this.buffer.slice(0, m.index + m[1]!.length);
    this.buffer = this.buffer.slice(m.index + m[0].length);
    this.pending = null;
    this.completedOnChild++;
    clearTimeout(p.timer);
    const { text, errors } = parseCommandOutput(raw, p.line, p.seq);
    if (errors.length > 0) {
      p.reject(new VirshError(errors.join(": "), "command", p.line, errors));
    } else {
      p.resolve(text);
    }
  }

  private onTimeout(seq: number, timeoutMs: number): void {
    const p = this.pending;
    if (!p || p.seq !== seq) return;
    const child = this.child;
    this.pending = null;
    const reason = `virsh command '${p.line}' timed out after ${timeoutMs / 1000}s; the virsh shell was restarted`;
    p.reject(new VirshError(reason, "timeout", p.line));
    if (child) {
      const heldState = this.completedOnChild > 0;
      this.detach(child);
      child.kill("SIGKILL");
      if (heldState) this.emit("reset", { reason });
    }
  }

  private onChildGone(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.child !== child) return;
    const heldState = this.completedOnChild > 0;
    const output = this.buffer.replace(PROMPT, "").trim();
    this.detach(child);
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      // virsh prints why it could not connect before exiting; that is the useful message.
      const errors = output
        .split("\n")
        .filter((l) => l.startsWith("error: "))
        .map((l) => l.slice("error: ".length).trim());
      const message = errors.length > 0 ? errors.join(": ") : output ? `${why}: ${output}` : why;
      p.reject(new VirshError(message, "exited", p.line, errors));
    }
    if (heldState && !this.closed) this.emit("reset", { reason: why });
  }

  private detach(child: ChildProcessWithoutNullStreams): void {
    if (this.child === child) {
      this.child = null;
      this.buffer = "";
    }
  }
}
