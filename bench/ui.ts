// npm run bench:ui — the Instances page at 10,000 instances in one project: the list API's latency,
// the page's first render and page change in Chromium, and how long an agent's state change takes
// to reach the row in the browser. Prints figures; asserts nothing.
//
//   npm run bench:ui -- [--instances 10000] [--calls 200] [--renders 10] [--cycles 20]
//
// The rows are written straight into the database (setup); everything measured goes through the
// production controller, its HTTP API, Socket.IO and a real agent on libvirt's test driver.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright";
import { LIST_SORT_KEYS, type ServerListInput } from "../src/lib/instance-list-query";
import { eventually, login } from "../test/integration/api-client";
import { startAgent, startController, waitForHypervisors } from "../test/integration/harness";
import { insertInstanceRows } from "./ui/instance-rows";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "10000" },
    calls: { type: "string", default: "200" },
    renders: { type: "string", default: "10" },
    cycles: { type: "string", default: "20" },
  },
});
const INSTANCES = Number(values.instances);
const CALLS = Number(values.calls);
const RENDERS = Number(values.renders);
const CYCLES = Number(values.cycles);
const PAGE_SIZE = 50;
const CHROMIUM = "/usr/bin/chromium";
const PROBE = "live-probe";

/** Progress on stderr, so the figures on stdout stay clean. */
function step(what: string): void {
  process.stderr.write(`bench:ui: ${what}\n`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1).padStart(7);
  return `${name.padEnd(34)} n=${String(s.length).padStart(4)}  p50=${f(percentile(s, 50))} ms  p95=${f(percentile(s, 95))} ms  p99=${f(percentile(s, 99))} ms  max=${f(s.at(-1) ?? NaN)} ms`;
}

/** Random list queries: a third plain page 1, the rest random pages, sorts and one filter each. */
function listQueries(count: number, flavorNames: string[]): Partial<ServerListInput>[] {
  const pages = Math.ceil(INSTANCES / PAGE_SIZE);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
  const filters: (() => Partial<ServerListInput>)[] = [
    () => ({}),
    () => ({ name: pick(["web", "db", "00", "vm-01"]) }),
    () => ({ status: pick(["ACTIVE", "SHUTOFF", "PAUSED", "ERROR"] as const) }),
    () => ({ flavor: pick(flavorNames) }),
    () => ({ zone: pick(["nova", "az-east", "az-west"]) }),
    // The rows hold 10.0.0.2 onwards: one address and its 10–19/100–199 kin, a /24, a wide prefix.
    () => ({ ip: pick(["10.0.0.12", "10.0.1", "10.0.17.", "10.0.3"]) }),
    () => ({ host: `rack-${String(1 + Math.floor(Math.random() * 20)).padStart(2, "0")}` }),
    () => ({ changesSince: new Date(Date.now() - Math.random() * 30 * 24 * 3600 * 1000).toISOString() }),
  ];
  return Array.from({ length: count }, (_, i) => {
    if (i % 3 === 0) return { page: 1, pageSize: PAGE_SIZE };
    const filter = pick(filters)();
    const filtered = Object.keys(filter).length > 0;
    // A filtered list is shorter: stay within its first pages so most calls return rows.
    const page = 1 + Math.floor(Math.random() * (filtered ? 5 : pages));
    return { page, pageSize: PAGE_SIZE, sort: pick(LIST_SORT_KEYS), dir: pick(["asc", "desc"] as const), ...filter };
  });
}

async function timeListApi(baseUrl: string, cookie: string, queries: Partial<ServerListInput>[], procedure = "server.list"): Promise<number[]> {
  const samples: number[] = [];
  for (const input of queries) {
    const url = `${baseUrl}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
    const started = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    const body = await res.text();
    samples.push(performance.now() - started);
    if (!res.ok) throw new Error(`${procedure} ${JSON.stringify(input)}: ${res.status} ${body.slice(0, 300)}`);
  }
  return samples;
}

const ROWS = "tbody tr[data-status]";

/** Where a first render's time went, in ms from the browser's navigation start. */
interface RenderMarks {
  total: number;
  /** The page's scripts have run (DOMContentLoaded). */
  scripts: number;
  /** The session check (auth.me) answered; the dashboard waits for it before mounting the page. */
  session: number;
  listSent: number;
  listAnswered: number;
}

/** From navigation start to 50 rows in the table, with the milestones on the way. */
async function timeFirstRender(page: Page, url: string): Promise<RenderMarks> {
  const started = performance.now();
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 50, ROWS, { polling: "raf" });
  const total = performance.now() - started;
  // No named inner functions here: tsx would wrap them in a helper the page does not have.
  const marks = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const me = resources.find((r) => r.name.includes("/api/trpc/") && r.name.includes("auth.me"));
    const list = resources.find((r) => r.name.includes("/api/trpc/") && r.name.includes("server.list"));
    return {
      scripts: nav?.domContentLoadedEventEnd ?? NaN,
      session: me?.responseEnd ?? NaN,
      listSent: list?.startTime ?? NaN,
      listAnswered: list?.responseEnd ?? NaN,
    };
  });
  return { total, ...marks };
}

/** From the click on Next to the next page's 50 rows in the table. */
async function timePageChange(page: Page): Promise<number> {
  const first = await page.locator(ROWS).first().getAttribute("data-testid");
  const started = performance.now();
  await page.getByRole("link", { name: "Next" }).click();
  await page.waitForFunction(
    ({ sel, first }) => {
      const rows = document.querySelectorAll(sel);
      return rows.length === 50 && rows[0]?.getAttribute("data-testid") !== first;
    },
    { sel: ROWS, first },
    { polling: "raf" },
  );
  return performance.now() - started;
}

interface StatusSeen {
  status: string;
  /** Browser wall clock when the MutationObserver saw the row's data-status change. */
  seenAt: number;
  /** The row's updated_at: when the controller applied the agent's report (same machine clock). */
  updatedAt: string;
}

/** Records every data-status change of the probe row, with the updated_at the row shows then. */
async function watchRow(page: Page, testId: string): Promise<void> {
  await page.evaluate((testId) => {
    const w = window as unknown as { __seen: StatusSeen[] };
    w.__seen = [];
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        const row = r.target as HTMLElement;
        if (r.attributeName !== "data-status" || row.dataset.testid !== testId) continue;
        const times = row.querySelectorAll("time");
        w.__seen.push({ status: row.dataset.status ?? "", seenAt: Date.now(), updatedAt: times[1]?.dateTime ?? "" });
      }
    });
    observer.observe(document.querySelector("tbody")!, { attributes: true, subtree: true, attributeFilter: ["data-status"] });
  }, testId);
}

async function waitSeen(page: Page, status: string, after: number): Promise<StatusSeen> {
  const handle = await page.waitForFunction(
    ({ status, after }) => (window as unknown as { __seen: StatusSeen[] }).__seen.slice(after).find((s) => s.status === status),
    { status, after },
    { timeout: 30_000 },
  );
  return (await handle.jsonValue()) as StatusSeen;
}

async function main(): Promise<void> {
  const controller = await startController({ agentHosts: ["compute-1"], env: { STRATUS_LOG_LEVEL: process.env.STRATUS_LOG_LEVEL ?? "warn" } });
  const agent = startAgent({ host: "compute-1", controllerUrl: controller.url, tokenFile: controller.tokenFile("compute-1"), env: { STRATUS_LOG_LEVEL: "warn" } });
  // The e2e suite's flags: no sandbox in this container, and no background calls to a network
  // the machine does not have.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    await waitForHypervisors(controller.databaseUrl, ["compute-1"], 120_000, [agent]);
    step(`inserting ${INSTANCES} instance rows`);
    const seeded = await insertInstanceRows(controller.databaseUrl, "admin", INSTANCES);
    // better-sqlite3 blocked this event loop for seconds: let fetch see the kept-alive sockets the
    // server closed meanwhile, or it would send the next request down a dead one.
    await sleep(500);
    const { api, cookie } = await login(controller.url, "admin", controller.credentials.admin.password);
    step("launching the probe instance");

    // The probe is a real guest on the agent's test:/// hypervisor, and the newest row of page 1.
    const imageId = (await api.image.list.query())[0]!.id;
    const { instances } = await api.server.create.mutate({ name: PROBE, flavorId: "1", imageId, count: 1 });
    const probe = instances[0]!.uuid;
    await eventually(async () => ((await api.server.get.query({ id: probe })).status === "ACTIVE" ? true : undefined), 60_000, "the probe to be ACTIVE");

    step("timing the list API");
    // 1. The list API over HTTP, as the browser calls it.
    await timeListApi(controller.url, cookie, listQueries(20, seeded.flavorNames)); // warm-up, not counted
    const defaultPage = await timeListApi(controller.url, cookie, Array.from({ length: CALLS }, () => ({ page: 1, pageSize: PAGE_SIZE })));
    const mixed = await timeListApi(controller.url, cookie, listQueries(CALLS, seeded.flavorNames));
    // The same HTTP, session and tRPC path around a trivial query: what the list adds on top of it.
    const baseline = await timeListApi(controller.url, cookie, Array.from({ length: CALLS }, () => ({})), "flavor.list");

    step("timing the page in Chromium");
    // 2. The page in Chromium, logged in with the same session.
    const context = await browser.newContext();
    const [name, ...rest] = cookie.split("=");
    await context.addCookies([{ name: name!, value: rest.join("="), url: controller.url }]);
    const page = await context.newPage();
    const url = `${controller.url}/instances`;
    const cold = (await timeFirstRender(page, url)).total;
    const warm: RenderMarks[] = [];
    for (let i = 0; i < RENDERS; i++) warm.push(await timeFirstRender(page, url));
    const pageChanges: number[] = [];
    for (let i = 0; i < RENDERS; i++) pageChanges.push(await timePageChange(page));

    step("timing live updates");
    // 3. Agent event → row: pause and unpause the probe on page 1 and watch its row.
    await page.goto(url);
    await page.getByTestId("live-status").and(page.locator("[data-status=connected]")).waitFor();
    await page.getByTestId(`instance-row-${PROBE}`).waitFor();
    await watchRow(page, `instance-row-${PROBE}`);
    const live: number[] = [];
    let seen = 0;
    for (let i = 0; i < CYCLES; i++) {
      for (const [call, status] of [["pause", "PAUSED"], ["unpause", "ACTIVE"]] as const) {
        await (call === "pause" ? api.server.pause : api.server.unpause).mutate({ id: probe });
        const s = await waitSeen(page, status, seen);
        seen = await page.evaluate(() => (window as unknown as { __seen: unknown[] }).__seen.length);
        live.push(s.seenAt - Date.parse(s.updatedAt));
      }
    }

    console.log(`bench:ui — ${INSTANCES} instances in one project, production controller, database ${controller.databaseUrl.split(":")[0]}, Chromium ${browser.version()}`);
    console.log("list API (GET /api/trpc/server.list over HTTP, 50 rows with flavor and image names):");
    console.log(`  ${summary("page 1, newest first", defaultPage)}`);
    console.log(`  ${summary("random page/sort/filter", mixed)}`);
    console.log(`  ${summary("baseline: flavor.list (same path)", baseline)}`);
    console.log("Instances page in Chromium:");
    console.log(`  first render, cold (navigation → 50 rows)   ${cold.toFixed(0)} ms`);
    console.log(`  ${summary("first render, warm (reload)", warm.map((m) => m.total))}`);
    const median = (key: keyof RenderMarks) => percentile([...warm.map((m) => m[key])].sort((a, b) => a - b), 50).toFixed(0);
    console.log(
      `    medians from navigation start: scripts run ${median("scripts")} ms, session answered ${median("session")} ms, ` +
        `list sent ${median("listSent")} ms, list answered ${median("listAnswered")} ms`,
    );
    console.log(`  ${summary("page change (Next → 50 new rows)", pageChanges)}`);
    console.log("live update (agent's report applied by the controller → row's data-status in the browser):");
    console.log(`  ${summary("pause/unpause on test:///", live)}`);
    await context.close();
  } catch (err) {
    const exit = controller.exitInfo();
    console.error(`controller ${exit ? `exited: ${JSON.stringify(exit)}` : "still running"}; output (tail):\n${controller.logs().slice(-6000)}`);
    throw err;
  } finally {
    await browser.close();
    await agent.stop();
    await controller.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
