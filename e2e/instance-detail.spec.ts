// The instance detail page: header with status and the action menu, Overview with every field,
// the Action Log (live, with events and request ids), Logs filtered by a request id clicked in the
// Action Log, and the Console tab. The instance is created through the API.
import { expect, test } from "@playwright/test";
import { actionsOf, expectSettled } from "./helpers/actions";
import { createInstance, logInByApi } from "./helpers/api";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

const BUILD_TIMEOUT = 60_000;

test.describe("Instance detail", () => {
  test("overview, live actions from the header, action log with events, logs by request id, console tab", async ({ page }) => {
    test.setTimeout(180_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-detail");
    const { uuid } = await createInstance(page.request, name);
    await expectSettled(instanceRow(page, name), "ACTIVE", BUILD_TIMEOUT);

    // The name in the table links to the page.
    await instanceRow(page, name).getByRole("link", { name }).click();
    await expect(page).toHaveURL(new RegExp(`/instances/${uuid}$`));
    const detail = page.getByTestId("instance-detail");
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expectSettled(detail, "ACTIVE");
    await expect(page.getByRole("link", { name: "Instances" }).first()).toBeVisible();

    // Overview: every field, host included for an admin.
    const tabs = page.getByRole("tablist", { name: "Instance details" });
    await expect(tabs.getByRole("tab", { name: "Overview" })).toHaveAttribute("aria-selected", "true");
    const overview = page.getByRole("tabpanel");
    for (const label of ["Name", "ID", "Status", "Task", "Power State", "Locked", "Availability Zone", "Host", "Created", "Launched", "Updated", "Flavor", "vCPUs", "RAM", "Disk", "Image"]) {
      await expect(overview.getByRole("term").filter({ hasText: new RegExp(`^${label}$`) })).toBeVisible();
    }
    await expect(overview).toContainText(uuid);
    await expect(overview).toContainText("m1.tiny");
    await expect(overview).toContainText("Running");
    await expect(overview).toContainText(/compute-\d/);
    // IP Addresses: the default network's fixed IP, with its MAC.
    await expect(overview.getByRole("heading", { name: "IP Addresses" })).toBeVisible();
    await expect(overview.getByRole("term").filter({ hasText: /^private$/ })).toBeVisible();
    await expect(overview).toContainText(/10\.0\.\d+\.\d+ \(fixed, MAC fa:16:3e(:[0-9a-f]{2}){3}\)/);
    await expectNoSeriousA11yViolations(page);

    // The header's menu is the row's menu: Pause (the visible button for ACTIVE) and Resume, live.
    const primary = actionsOf(detail).locator("button[data-action]");
    await expect(primary).toHaveText("Pause Instance");
    await primary.click();
    await expectSettled(detail, "PAUSED");
    await expect(primary).toHaveText("Resume Instance");
    await primary.click();
    await expectSettled(detail, "ACTIVE");

    // Action Log: newest first, each with its request id; arrives live, no reload.
    await tabs.getByRole("tab", { name: "Action Log" }).click();
    await expect(page).toHaveURL(/tab=actions/);
    const log = page.getByRole("table", { name: "Action log, newest first" });
    const rows = log.locator("tr[data-action]");
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toHaveAttribute("data-action", "unpause");
    await expect(rows.nth(1)).toHaveAttribute("data-action", "pause");
    await expect(rows.nth(2)).toHaveAttribute("data-action", "create");
    for (let i = 0; i < 3; i++) await expect(rows.nth(i)).toHaveAttribute("data-result", "Success");
    await expect(rows.nth(1).getByRole("rowheader")).toContainText("Pause");
    await expect(rows.nth(0).getByRole("rowheader")).toContainText("Resume");
    const pauseRequest = (await rows.nth(1).getAttribute("data-testid"))?.replace("action-row-", "") ?? "";
    expect(pauseRequest).toMatch(/^req-[0-9a-f-]{36}$/);
    await expect(rows.nth(1)).toContainText(pauseRequest);
    await expect(rows.nth(1)).toContainText("admin (you)");

    // Its events: name, host (admin), result.
    const expand = rows.nth(1).getByRole("button", { name: /Show \d+ events? of Pause/ });
    await expect(expand).toHaveAttribute("aria-expanded", "false");
    await expand.click();
    await expect(rows.nth(1).getByRole("button", { name: /Hide/ })).toHaveAttribute("aria-expanded", "true");
    const events = page.getByRole("table", { name: `Events of Pause (${pauseRequest})` });
    const pauseEvent = events.getByTestId("event-compute_pause_instance");
    await expect(pauseEvent).toBeVisible();
    await expect(pauseEvent).toContainText(/compute-\d/);
    await expect(pauseEvent).toContainText("Success");
    await expectNoSeriousA11yViolations(page);

    // A live action appears without a reload (the page is in the instance's room).
    await primary.click(); // Pause again
    await expect(rows).toHaveCount(4);
    await expect(rows.nth(0)).toHaveAttribute("data-action", "pause");
    await expect(rows.nth(0)).toHaveAttribute("data-result", "Success", { timeout: BUILD_TIMEOUT });
    await expectSettled(detail, "PAUSED");

    // A request id opens the Logs tab filtered to it: every line is of that request.
    await log.getByRole("link", { name: `Logs of request ${pauseRequest}` }).click();
    await expect(tabs.getByRole("tab", { name: "Logs" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByLabel("Request ID")).toHaveValue(pauseRequest);
    const lines = page.getByRole("list", { name: "Log lines" }).getByRole("listitem");
    await expect(lines.first()).toBeVisible();
    const ids = await lines.evaluateAll((els) => els.map((e) => e.getAttribute("data-request-id")));
    expect(new Set(ids)).toEqual(new Set([pauseRequest]));
    await expect(lines.first()).toContainText(`[${pauseRequest} `);
    // Lines from the API and from the agent that did the work.
    await expect(lines.filter({ hasText: "stratus-api@" }).first()).toBeVisible();
    await expect(lines.filter({ hasText: /stratus-compute@compute-\d/ }).first()).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    // Level filter: WARNING and above leaves only such lines (or none).
    await page.getByLabel("Level").selectOption("40");
    await expect(page).toHaveURL(/level=40/);
    await expect
      .poll(() => lines.evaluateAll((els) => els.every((e) => ["WARNING", "ERROR", "CRITICAL"].includes(e.getAttribute("data-level") ?? ""))))
      .toBe(true);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(page.getByLabel("Request ID")).toHaveValue("");
    await expect(lines.first()).toBeVisible();

    // Keyboard: arrows move between tabs.
    await tabs.getByRole("tab", { name: "Logs" }).focus();
    await page.keyboard.press("ArrowRight");
    await expect(tabs.getByRole("tab", { name: "Console" })).toBeFocused();
    await expect(tabs.getByRole("tab", { name: "Console" })).toHaveAttribute("aria-selected", "true");
    // The slot holds the console panel (its own spec covers what it shows).
    await expect(page.getByRole("tabpanel").getByTestId("instance-console")).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    // Deleting from the header goes back to the list.
    await page.getByRole("button", { name: `More actions for ${name}` }).click();
    await page.getByRole("menuitem", { name: "Delete Instance" }).click();
    await page.getByRole("dialog", { name: "Confirm Delete Instance" }).getByRole("button", { name: "Delete Instance" }).click();
    await expect(page).toHaveURL(/\/instances$/);
    await expect(instanceRow(page, name)).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("an unknown instance says so", async ({ page }) => {
    await logInByApi(page, "admin");
    await page.goto("/instances/00000000-0000-4000-8000-000000000000");
    await expect(page.getByRole("alert").filter({ hasText: "could not be found" })).toContainText("It may have been deleted.");
    await expectNoSeriousA11yViolations(page);
  });
});
