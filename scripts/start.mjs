// `npm start`: from a fresh clone to a running cloud in one command. Each set-up step is skipped
// when its output is already up to date, so a second start takes seconds:
//   system packages → npm ci → Prisma clients → migrate → seed → next build
// then the controller and, once it is healthy, two compute agents on libvirt's test driver.
// Output of every child is prefixed with its name; Ctrl-C (SIGINT) or SIGTERM stops them all.
//
// Env: PORT (3000), DATABASE_URL (file:./var/stratus.db). Only node builtins here: this file runs
// before node_modules exists.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "./lib/children.mjs";
import { buildIsStale, clientIsStale, installIsStale } from "./lib/freshness.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);

const PORT = Number(process.env.PORT ?? 3000);
const DATABASE_URL = process.env.DATABASE_URL ?? "file:./var/stratus.db";
const CONTROLLER_URL = `http://127.0.0.1:${PORT}`;
// Both also read by prisma/seed.ts, which writes the credentials and the agents' token files.
const CREDENTIALS_FILE = process.env.STRATUS_CREDENTIALS_FILE ?? "var/credentials.txt";
const AGENTS_DIR = path.resolve(process.env.STRATUS_AGENTS_DIR ?? "var/agents");
const AGENTS = [
  { host: "compute-1", cpus: 16, memoryMb: 32768 },
  { host: "compute-2", cpus: 8, memoryMb: 16384 },
];
const HEALTH_TIMEOUT_MS = 120_000;

// No update checks or telemetry calls: the machine may be offline, and they slow every step.
const baseEnv = { ...process.env, CHECKPOINT_DISABLE: "1", NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL };
const bin = (name) => path.join(root, "node_modules", ".bin", name);

// ---------------------------------------------------------------------------------------------
// Set-up steps

let currentStep = null; // the foreground command of a set-up step, so a signal can stop it too

/**
 * Runs a command; rejects when it fails. `quiet` keeps its output unless it fails (Prisma's CLI
 * prints a screenful of banners and warnings on every start).
 */
function run(command, args, { env = baseEnv, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit", env });
    currentStep = child;
    const output = [];
    child.stdout?.on("data", (chunk) => output.push(chunk));
    child.stderr?.on("data", (chunk) => output.push(chunk));
    child.on("error", reject);
    // "close", not "exit": the piped output of a quiet step must be complete before it is shown.
    child.on("close", (code, signal) => {
      currentStep = null;
      if (code === 0) return resolve();
      if (quiet) process.stderr.write(Buffer.concat(output));
      reject(new Error(`${path.basename(command)} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function step(name, action) {
  const started = Date.now();
  log(`${name} ...`);
  await action();
  log(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Fails fast when something already listens on PORT: its /api/health would pass for ours. */
function assertPortFree() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error) =>
      reject(error.code === "EADDRINUSE" ? new Error(`port ${PORT} is already in use; set PORT to another one`) : error),
    );
    probe.listen(PORT, () => probe.close(resolve));
  });
}

async function setUp() {
  await assertPortFree();
  await run("bash", ["scripts/system-packages.sh"]);

  let installed = false;
  if (installIsStale(root)) {
    await step("npm ci", () => run("npm", ["ci", "--no-audit", "--no-fund"]));
    installed = true;
  }

  // prisma.config.ts picks the schema from DATABASE_URL, so each client is generated with a URL of
  // its kind (generate never connects).
  const clients = [
    ["sqlite", "file:./var/stratus.db"],
    ["postgres", "postgresql://generate:generate@127.0.0.1:5432/generate"],
  ];
  for (const [which, url] of clients) {
    if (installed || clientIsStale(root, which)) {
      await step(`prisma generate (${which})`, () =>
        run(bin("prisma"), ["generate"], { env: { ...baseEnv, DATABASE_URL: url }, quiet: true }),
      );
    }
  }

  mkdirSync("var", { recursive: true });
  await step("prisma migrate deploy", () => run(bin("prisma"), ["migrate", "deploy"], { quiet: true }));
  await step("seed", () => run(bin("tsx"), ["prisma/seed.ts"]));

  if (buildIsStale(root)) {
    await step("next build", () => run(bin("next"), ["build"], { env: { ...baseEnv, NODE_ENV: "production" } }));
  }
}

// ---------------------------------------------------------------------------------------------
// Running the cloud

const children = []; // started order: controller first, then agents
let stopping = false;

const COLORS = [36, 33, 35, 32, 34];
function prefixer(name, index) {
  const label = process.stdout.isTTY ? `\x1b[${COLORS[index % COLORS.length]}m[${name}]\x1b[0m` : `[${name}]`;
  return (line, stream) => (stream === "stderr" ? process.stderr : process.stdout).write(`${label} ${line}\n`);
}

function launch(name, args, env) {
  const child = startChild(name, bin("tsx"), args, { cwd: root, env, onLine: prefixer(name, children.length) });
  children.push(child);
  // A child that dies on its own is reported; the controller's death ends the whole run.
  child.exited.then((info) => {
    if (stopping) return;
    const how = info.error ? info.error.message : info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
    log(`${name} stopped unexpectedly (${how})`);
    if (name === "controller") void shutdown(1);
  });
  return child;
}

async function waitForHealth(controller) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (controller.exitInfo()) throw new Error("the controller exited before it became healthy");
    try {
      const res = await fetch(`${CONTROLLER_URL}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${CONTROLLER_URL}/api/health did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

async function runCloud() {
  await assertPortFree();
  const controller = launch("controller", ["server.ts"], { ...baseEnv, NODE_ENV: "production", PORT: String(PORT) });
  await waitForHealth(controller);
  for (const { host, cpus, memoryMb } of AGENTS) {
    const dir = path.join(AGENTS_DIR, host);
    launch(host, ["agent/main.ts"], {
      ...baseEnv,
      STRATUS_CONTROLLER_URL: CONTROLLER_URL,
      STRATUS_AGENT_HOST: host,
      STRATUS_AGENT_TOKEN_FILE: path.join(dir, "token"), // written by the seed
      STRATUS_STATE_DIR: dir,
      STRATUS_TEST_NODE_CPUS: String(cpus),
      STRATUS_TEST_NODE_MEMORY_MB: String(memoryMb),
    });
  }
  printBanner();
}

/** The dashboard URL and the logins the first seed recorded. */
function printBanner() {
  const lines = ["", `Stratus is running: http://localhost:${PORT}`];
  if (existsSync(CREDENTIALS_FILE)) {
    for (const line of readFileSync(CREDENTIALS_FILE, "utf8").split("\n")) {
      const [user, password] = line.trim().split(/\s+/);
      if (user && password && !line.startsWith("#")) lines.push(`  login: ${user} / ${password}`);
    }
    lines.push(`  (from ${CREDENTIALS_FILE})`);
  } else {
    lines.push(`  logins: no ${CREDENTIALS_FILE}; set STRATUS_ADMIN_PASSWORD and run npm start again to reset admin's`);
  }
  lines.push(`  compute hosts: ${AGENTS.map((a) => `${a.host} (${a.cpus} vCPUs, ${a.memoryMb} MiB)`).join(", ")}`);
  lines.push("Press Ctrl-C to stop.", "");
  console.log(lines.join("\n"));
}

/** Agents first (they report their shutdown to a live controller), then the controller. */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  currentStep?.kill("SIGTERM");
  const agents = children.filter((c) => c.name !== "controller");
  await Promise.all(agents.map((c) => c.stop({ timeoutMs: 10_000 })));
  await Promise.all(children.filter((c) => c.name === "controller").map((c) => c.stop({ timeoutMs: 15_000 })));
  process.exit(code);
}

function log(message) {
  console.log(`[start] ${message}`);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void shutdown(children.length > 0 ? 0 : 130);
  });
}

try {
  await setUp();
  await runCloud();
} catch (error) {
  log(`failed: ${error.message}`);
  await shutdown(1);
}
