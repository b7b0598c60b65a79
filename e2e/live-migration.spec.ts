// Live migration from the dashboard, on real QEMU: this spec starts its own two-host cloud (two
// libvirt daemons, two agents, a controller; test/integration/qemu/stack.ts), since libvirt's test
// driver behind the other specs cannot move a running guest. The guest is the busy one (it rewrites
// 64 MiB of memory without pause) and the agents cap migrations at 8 MiB/s, so its migration never
// converges on its own: the Live migration panel shows memory and disk left, the rate and the time
// left as they change for as long as the test looks, and only Force complete (or Abort) ends it.
import { expect, test, type Page } from "@playwright/test";
import type { InstanceView } from "@/lib/instance-view";
import type { ImageView } from "@/server/images/image-view";
import { COMPUTE_HOST, settled, startQemuStack, type QemuStack } from "../test/integration/qemu/stack";
import { expectSettled, runAction } from "./helpers/actions";
import { expectNoSeriousA11yViolations } from "./helpers/dashboard";

const PEER = "compute-qemu-e2e";
const MOVE_TIMEOUT = 120_000;

let stack: QemuStack;
let busy: ImageView;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(20 * 60_000);
  stack = await startQemuStack({ peerHosts: [PEER], agentEnv: { STRATUS_LIVE_MIGRATION_BANDWIDTH: "8" } });
  busy = await stack.uploadImage("stratus-busy-e2e-live", stack.images.busy);
});

test.afterAll(async () => {
  test.setTimeout(5 * 60_000);
  await stack?.stop();
});

async function logIn(page: Page): Promise<void> {
  const { username, password } = stack.controller.credentials.admin;
  const res = await page.request.post(`${stack.controller.url}/api/trpc/auth.login`, { data: { json: { username, password } } });
  expect(res.ok(), await res.text()).toBe(true);
}

const hostOf = async (uuid: string) => (await stack.admin.server.get.query({ id: uuid })).host;

test("an admin live-migrates a running guest with visible progress, forces it to complete, then aborts a second one", async ({ page }) => {
  test.setTimeout(8 * 60_000);
  await logIn(page);
  const { instances } = await stack.admin.server.create.mutate({ name: "e2e-live", flavorId: "1", imageId: busy.id, count: 1 });
  const uuid = instances[0]!.uuid;
  try {
    const vm = await settled<InstanceView>(() => stack.admin.server.get.query({ id: uuid }), (v) => v.status === "ACTIVE", MOVE_TIMEOUT, "e2e-live to run");
    const source = vm.host!;
    const dest = source === COMPUTE_HOST ? PEER : COMPUTE_HOST;
    await stack.computes.find((c) => c.name === source)!.console(uuid).waitFor(/busy: rewriting 64 MiB/, { timeoutMs: MOVE_TIMEOUT });

    await page.goto(`${stack.controller.url}/instances/${uuid}`);
    const header = page.getByTestId("instance-detail");
    await expectSettled(header, "ACTIVE");

    // The dialog lists the other host with its free room; the admin picks it.
    await runAction(page, header, "Live Migrate Instance");
    const dialog = page.getByRole("dialog", { name: "Live Migrate Instance" });
    await expect(dialog).toContainText('"e2e-live"');
    const host = dialog.getByLabel("Destination host");
    // Options read "<host> — <free room>"; one host name is a prefix of the other.
    const option = (name: string) => host.locator("option", { hasText: new RegExp(`^${name} `) });
    await expect(option(source)).toHaveCount(0);
    await host.selectOption({ label: (await option(dest).textContent()) ?? dest });
    await expect(dialog).toContainText("The guest keeps running");
    await expectNoSeriousA11yViolations(page);
    await dialog.getByRole("button", { name: "Live Migrate Instance", exact: true }).click();
    await expect(dialog).toBeHidden();

    // Live figures from libvirt, changing while the memory moves.
    const panel = page.getByTestId("live-migration-progress");
    await expect(panel).toHaveAttribute("data-status", "running", { timeout: MOVE_TIMEOUT });
    await expect(panel).toContainText(`to ${dest}`);
    await expect(panel).toContainText(/about \d+ s/, { timeout: 30_000 });
    await expect(panel.getByRole("progressbar", { name: "Memory copied" })).toHaveAttribute("aria-valuenow", /\d+/);
    const first = await panel.getByText(/ of /).first().textContent();
    await expect(panel.getByText(/ of /).first()).not.toHaveText(first ?? "", { timeout: 20_000 });
    await expect(header).toContainText(/Live migrating: memory [\d.]+ MiB of [\d.]+ MiB left/);
    await expectNoSeriousA11yViolations(page);

    // The panel offers both ways out; this time the action menu's item forces it.
    await expect(panel.getByRole("button", { name: "Force complete" })).toBeEnabled();
    await expect(panel.getByRole("button", { name: "Abort" })).toBeEnabled();
    await runAction(page, header, "Force Complete Live Migration");
    await expectSettled(header, "ACTIVE", MOVE_TIMEOUT);
    await expect(panel).toBeHidden();
    expect(await hostOf(uuid)).toBe(dest);
    const latest = page.getByTestId("migration-row").first();
    await expect(latest).toHaveAttribute("data-status", "completed");
    await expect(latest).toContainText("(forced)");
    await expect(latest).toContainText(/downtime \d+ ms/);

    // A second move, scheduled this time, aborted: the guest stays where it is.
    await runAction(page, header, "Live Migrate Instance");
    await page.getByRole("dialog", { name: "Live Migrate Instance" }).getByRole("button", { name: "Live Migrate Instance", exact: true }).click();
    await expect(panel).toHaveAttribute("data-status", "running", { timeout: MOVE_TIMEOUT });
    await expect(panel).toContainText(/about \d+ s/, { timeout: 30_000 });
    await runAction(page, header, "Abort Live Migration");
    await expectSettled(header, "ACTIVE", MOVE_TIMEOUT);
    await expect(page.getByTestId("migration-row").first()).toHaveAttribute("data-status", "cancelled");
    expect(await hostOf(uuid)).toBe(dest);
  } finally {
    await stack.admin.server.delete.mutate({ id: uuid }).catch(() => undefined);
  }
});
