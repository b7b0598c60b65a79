// npm run bench:ui — the Instances page at 10,000 instances in one project: the list API's latency,
// the page's first render and page change in Chromium, and how long an agent's state change takes
// to reach the row in the browser. Prints figures; asserts nothing.
//
//   npm run bench:ui -- [--instances 10000] [--calls 200] [--colds 5] [--renders 10] [--cycles 20]
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
    colds: { type: "string", default: "5" },
    renders: { type: "string", default: "10" },
    cycles: { type: "string", default: "20" },
  },
});
const INSTANCES = Number(values.instances);
const CALLS = Number(values.calls);
const COLDS = Number(values.colds);
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

/** GETs `url` `times` times with the session cookie; each sample is request → whole body read. */
async function timeGet(url: string, cookie: string, times: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    await res.text();
    samples.push(performance.now() - started);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  }
  return samples;
}

const ROWS = "tbody tr[data-status]";

/** Where a first render's time went. `total` is from the call to page.goto; the rest from the browser's navigation start. */
interface RenderMarks {
  /** The 50 rows are painted: the last of them to show text did (Element Timing; the figure reported). */
  total: number;
  /** The document's last byte arrived. */
  html: number;
  /** The page's scripts have run (DOMContentLoaded). */
  scripts: number;
  /** The session check (auth.me) answered over HTTP; NaN when the server answered it in the HTML. */
  session: number;
  /** The list request went out / answered; NaN when the rows came in the HTML. */
  listSent: number;
  listAnswered: number;
  /** The live badge said "Live": the page is hydrated and its socket is connected. */
  live: number;
}

/**
 * Installed in every document before the page's own scripts (a string, so tsx adds nothing). It
 * tags each row's name with `elementtiming` (named after the row) as it enters the DOM, which is
 * before it can be painted, and collects the browser's Element Timing entries: each one's
 * renderTime is when that text was first painted. The rows are painted once all 50 names have
 * been, whether React rendered them or they came in the HTML. It also notes when the live badge
 * says Live. Each mark is announced on the console, so the bench waits without polling: Playwright's
 * polling would first compile its injected script in the page, on the same main thread, while the
 * page is still loading.
 */
const RENDER_PROBE = `(() => {
  const w = window;
  const painted = new Map();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!painted.has(e.identifier)) painted.set(e.identifier, e.renderTime || e.startTime);
      if (painted.size === 50 && w.__rowsPainted === undefined) {
        w.__rowsPainted = Math.max(...painted.values());
        console.debug("bench:rows-painted");
      }
    }
  }).observe({ type: "element", buffered: true });
  // Each row is timed by its name (the link in its header cell), tagged as it enters the DOM (the
  // HTML parser adds a page in chunks, React a whole subtree at once). One native query per batch
  // of DOM changes, not JavaScript per node: this runs on the page's main thread while it loads.
  const UNTAGGED = ${JSON.stringify(`${ROWS} th a:not([elementtiming])`)};
  const LIVE = '[data-testid="live-status"][data-status="connected"]';
  const tag = (records) => {
    if (records.some((r) => r.type === "childList" && r.addedNodes.length > 0)) {
      for (const a of document.querySelectorAll(UNTAGGED)) a.setAttribute("elementtiming", a.closest("tr").dataset.testid);
    }
    if (!w.__live && document.querySelector(LIVE)) {
      w.__live = performance.now();
      console.debug("bench:live");
    }
    if (w.__live && w.__rowsPainted !== undefined) observer.disconnect();
  };
  const observer = new MutationObserver(tag);
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
})();`;

/** From page.goto to 50 rows painted, with the milestones on the way (RENDER_PROBE must be installed). */
async function timeFirstRender(page: Page, url: string): Promise<RenderMarks> {
  const announced = (text: string) => page.waitForEvent("console", { predicate: (m) => m.text() === text, timeout: 30_000 });
  const painted = announced("bench:rows-painted");
  const live = announced("bench:live");
  const startedAt = Date.now();
  await page.goto(url, { waitUntil: "commit" });
  await Promise.all([painted, live]);
  // No named inner functions here: tsx would wrap them in a helper the page does not have.
  const marks = await page.evaluate(() => {
    const w = window as unknown as { __rowsPainted: number; __live: number };
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const me = resources.find((r) => r.name.includes("/api/trpc/") && r.name.includes("auth.me"));
    const list = resources.find((r) => r.name.includes("/api/trpc/") && r.name.includes("server.list"));
    return {
      origin: performance.timeOrigin,
      painted: w.__rowsPainted,
      html: nav?.responseEnd ?? NaN,
      scripts: nav?.domContentLoadedEventEnd ?? NaN,
      session: me?.responseEnd ?? NaN,
      listSent: list?.startTime ?? NaN,
      listAnswered: list?.responseEnd ?? NaN,
      live: w.__live,
    };
  });
  const { origin, painted: paintedAt, ...rest } = marks;
  // Both clocks are this machine's wall clock; navigation starts a few ms after the goto call.
  return { total: origin + paintedAt - startedAt, ...rest };
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
    // 2. The page in Chromium, logged in with the same session. The server's first render of the
    // page loads its modules, once per process, as the API's first calls do: it is warmed with
    // plain GETs first, like the API above, and its first one reported apart. "Cold" is the browser's.
    const url = `${controller.url}/instances`;
    const [serverFirst] = await timeGet(url, cookie, 5);
    const [name, ...rest] = cookie.split("=");
    const freshPage = async () => {
      const context = await browser.newContext();
      await context.addCookies([{ name: name!, value: rest.join("="), url: controller.url }]);
      await context.addInitScript(RENDER_PROBE);
      return context.newPage();
    };
    // Cold: the first navigation of a fresh browser context (empty cache, new renderer), --colds
    // times; one sample alone is at the mercy of whatever else the machine runs at that moment.
    const cold: RenderMarks[] = [];
    for (let i = 0; i < COLDS; i++) {
      const fresh = await freshPage();
      cold.push(await timeFirstRender(fresh, url));
      await fresh.context().close();
    }
    const page = await freshPage();
    await timeFirstRender(page, url); // this context's own cold load, not counted again
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
    const ms = (v: number) => (Number.isNaN(v) ? "-" : `${v.toFixed(0)} ms`);
    const milestones = (m: (key: keyof RenderMarks) => number) =>
      `document ${ms(m("html"))}, scripts run ${ms(m("scripts"))}, session answered ${ms(m("session"))}, ` +
      `list sent ${ms(m("listSent"))}, list answered ${ms(m("listAnswered"))}, live ${ms(m("live"))}`;
    console.log(`  server's first GET /instances after start (warm-up, not in the figures below)   ${ms(serverFirst!)}`);
    const median = (marks: RenderMarks[], key: keyof RenderMarks) => percentile([...marks.map((m) => m[key])].sort((x, y) => x - y), 50);
    console.log(`  ${summary("first render, cold (fresh context)", cold.map((m) => m.total))}`);
    console.log(`    medians from navigation start: ${milestones((key) => median(cold, key))}`);
    console.log(`  ${summary("first render, warm (reload)", warm.map((m) => m.total))}`);
    console.log(`    medians from navigation start: ${milestones((key) => median(warm, key))}`);
    console.log(`  ${summary("page change (Next → 50 new rows)", pageChanges)}`);
    console.log("live update (agent's report applied by the controller → row's data-status in the browser):");
    console.log(`  ${summary("pause/unpause on test:///", live)}`);
    await page.context().close();
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
