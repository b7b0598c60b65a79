import { expect, test, type Page } from "@playwright/test";
import { expectLive, expectNoSeriousA11yViolations, instanceRow, launchInstance, logIn, uniqueName } from "./helpers/dashboard";

// A build on the simulated hosts takes seconds; the margin covers a loaded CI machine.
const BUILD_TIMEOUT = 45_000;

async function deleteThroughRow(page: Page, name: string): Promise<void> {
  // Delete is never an idle instance's visible button: it lives in the row's menu.
  await instanceRow(page, name).getByRole("button", { name: `More actions for ${name}` }).click();
  await page.getByRole("menu").getByRole("menuitem", { name: "Delete Instance" }).click();
  const dialog = page.getByRole("dialog", { name: "Confirm Delete Instance" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`"${name}"`);
  await expect(dialog).toContainText("Deleted instances are not recoverable.");
  await dialog.getByRole("button", { name: "Delete Instance" }).click();
  await expect(dialog).toBeHidden();
}

test.describe("Project → Instances", () => {
  test.beforeEach(async ({ page }) => {
    await logIn(page, "admin");
    await expectLive(page);
  });

  test("launch through the dialog, watch it become Active live, then delete it", async ({ page }) => {
    test.setTimeout(120_000);
    const name = uniqueName("e2e-web");
    await launchInstance(page, name);

    const row = instanceRow(page, name);
    await expect(row).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: `Launched instance "${name}".` })).toBeVisible();
    // No reload from here on: every change below arrives over the live channel.
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: BUILD_TIMEOUT });
    await expect(row).toHaveAttribute("data-status", "ACTIVE");
    await expect(row.getByText("None", { exact: true })).toBeVisible(); // Task
    await expect(row.getByText("Running", { exact: true })).toBeVisible(); // Power State
    await expect(row.getByText(/^compute-\d$/)).toBeVisible(); // Host
    await expect(row.getByText("m1.tiny")).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    await deleteThroughRow(page, name);
    await expect(row).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("an instance launched elsewhere appears and progresses without a reload", async ({ page }) => {
    test.setTimeout(120_000);
    const name = uniqueName("e2e-api");
    // Launch through the API with this page's own session, as the CLI would.
    const create = await page.request.post("/api/trpc/server.create", {
      data: { json: { name, flavorId: await tinyFlavorId(page), imageId: await firstImageId(page), count: 1 } },
    });
    expect(create.ok(), await create.text()).toBe(true);

    const row = instanceRow(page, name);
    await expect(row).toBeVisible();
    await expect(row).toHaveAttribute("data-status", "ACTIVE", { timeout: BUILD_TIMEOUT });
    await deleteThroughRow(page, name);
    await expect(row).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("bulk delete asks once, names every instance and removes them all", async ({ page }) => {
    test.setTimeout(120_000);
    const name = uniqueName("e2e-bulk");
    await launchInstance(page, name, 2);
    const rows = [instanceRow(page, `${name}-1`), instanceRow(page, `${name}-2`)];
    for (const row of rows) await expect(row).toHaveAttribute("data-status", "ACTIVE", { timeout: BUILD_TIMEOUT });

    await page.getByRole("checkbox", { name: `Select ${name}-1` }).check();
    await page.getByRole("checkbox", { name: `Select ${name}-2` }).check();
    await page.getByRole("button", { name: "Delete Instances (2)" }).click();

    const dialog = page.getByRole("dialog", { name: "Confirm Delete Instances" });
    await expect(dialog).toContainText(`"${name}-1"`);
    await expect(dialog).toContainText(`"${name}-2"`);
    await expectNoSeriousA11yViolations(page);
    await dialog.getByRole("button", { name: "Delete Instances" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status").filter({ hasText: "Scheduled deletion of Instances" })).toBeVisible();
    for (const row of rows) await expect(row).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("the launch dialog validates its fields and shows the server's errors inline", async ({ page }) => {
    await page.getByRole("button", { name: "Launch Instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Launch Instance" });
    await expect(dialog).toBeVisible();
    // Focus moves into the dialog.
    await expect(dialog.getByLabel("Instance Name")).toBeFocused();
    await expectNoSeriousA11yViolations(page);

    await dialog.getByLabel("Count").fill("101");
    await dialog.getByRole("button", { name: "Launch", exact: true }).click();
    await expect(dialog.getByText("Enter an instance name.")).toBeVisible();
    await expect(dialog.getByText("Select a flavor.")).toBeVisible();
    await expect(dialog.getByText("Enter a whole number from 1 to 100.")).toBeVisible();
    await expect(dialog.getByLabel("Instance Name")).toHaveAttribute("aria-invalid", "true");

    // Make the browser ask for a flavor that does not exist: the API's own message appears.
    await page.route("**/api/trpc/server.create**", async (route) => {
      const body = route.request().postData() ?? "";
      await route.continue({ postData: body.replace(/"flavorId":"[^"]*"/, '"flavorId":"99"') });
    });
    const name = uniqueName("e2e-bad");
    await dialog.getByLabel("Instance Name").fill(name);
    const flavor = dialog.getByLabel("Flavor");
    await flavor.selectOption((await flavor.locator("option", { hasText: "m1.tiny" }).getAttribute("value")) ?? "");
    await dialog.getByLabel("Image").selectOption({ index: 1 });
    await dialog.getByLabel("Count").fill("1");
    await dialog.getByRole("button", { name: "Launch", exact: true }).click();
    await expect(dialog.getByRole("alert")).toHaveText("Flavor 99 could not be found.");
    await expect(dialog).toBeVisible();

    // Escape closes the dialog and focus returns to the button that opened it.
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("button", { name: "Launch Instance" })).toBeFocused();
    await expect(instanceRow(page, name)).toHaveCount(0);
  });

  test("the page number lives in the URL", async ({ page }) => {
    const name = uniqueName("e2e-page");
    await launchInstance(page, name);
    await expect(instanceRow(page, name)).toBeVisible();

    await page.goto("/instances?page=999");
    await expect(page.getByText("No instances on this page")).toBeVisible();
    const pagination = page.getByRole("navigation", { name: "Pagination" });
    await expect(pagination).toContainText(/Page 999 of \d+/);
    // Previous leads back to the last real page, not to page 998.
    await expect(pagination.getByRole("link", { name: "Previous" })).toHaveAttribute("href", /^\/instances(\?page=\d)?$/);
    await page.getByRole("link", { name: "Go to the first page" }).click();
    await expect(page).toHaveURL(/\/instances$/);
    await expect(instanceRow(page, name)).toBeVisible();
    await expect(pagination).toContainText(/Page 1 of \d+/);
    await deleteThroughRow(page, name);
    await expect(instanceRow(page, name)).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("the live badge says when updates pause and clears after reconnecting", async ({ page, context }) => {
    const badge = page.getByTestId("live-status");
    await context.setOffline(true);
    await expect(badge).toHaveText("Live updates paused — reconnecting", { timeout: 30_000 });
    await context.setOffline(false);
    await expect(badge).toHaveAttribute("data-status", "connected", { timeout: 30_000 });
  });
});

test.describe("an empty project", () => {
  test("shows the empty state with a way to launch", async ({ page }) => {
    // The demo project starts empty in the e2e world; no spec launches instances as demo.
    await logIn(page, "demo");
    await expect(page.getByText("No instances yet")).toBeVisible();
    await expect(page.getByRole("button", { name: "Launch your first instance" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });
});

async function trpcQuery<T>(page: Page, path: string): Promise<T> {
  const res = await page.request.get(`/api/trpc/${path}`);
  expect(res.ok(), await res.text()).toBe(true);
  const body = (await res.json()) as { result: { data: { json: T } } };
  return body.result.data.json;
}

async function tinyFlavorId(page: Page): Promise<string> {
  const flavors = await trpcQuery<{ id: string; name: string }[]>(page, "flavor.list");
  const tiny = flavors.find((f) => f.name === "m1.tiny");
  if (!tiny) throw new Error("m1.tiny is not seeded");
  return tiny.id;
}

async function firstImageId(page: Page): Promise<string> {
  const images = await trpcQuery<{ id: string; status: string }[]>(page, "image.list");
  const image = images.find((i) => i.status === "active");
  if (!image) throw new Error("no active image is seeded");
  return image.id;
}
