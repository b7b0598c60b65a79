import { expect, test, type Page } from "@playwright/test";
import { createInstance, deleteInstance, logInByApi, type CreatedInstance } from "./helpers/api";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

// Filters, sort and page live in the URL: they survive a reload and walk back with the browser.

const nameHeader = (page: Page) => page.getByRole("columnheader", { name: "Name" });

test.describe("Instances filters and sort", () => {
  const created: CreatedInstance[] = [];

  test.afterEach(async ({ page }) => {
    for (const i of created.splice(0)) await deleteInstance(page.request, i.uuid);
  });

  test("a name filter and a sort are kept in the URL, across reload and back", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page);
    const prefix = uniqueName("flt");
    for (const suffix of ["web-a", "web-b", "db"]) created.push(await createInstance(page.request, `${prefix}-${suffix}`));
    await expect(instanceRow(page, `${prefix}-db`)).toBeVisible();

    const search = page.getByRole("search", { name: "Filter instances" });
    await search.getByLabel("Filter by").selectOption("name");
    await search.getByRole("textbox", { name: "Name" }).fill(`${prefix}-WEB`);
    await search.getByRole("button", { name: "Filter" }).click();

    await expect(page).toHaveURL(new RegExp(`[?&]name=${prefix}-WEB(&|$)`));
    await expect(page.getByRole("list", { name: "Active filters" })).toContainText(`Name: ${prefix}-WEB`);
    await expect(instanceRow(page, `${prefix}-web-a`)).toBeVisible();
    await expect(instanceRow(page, `${prefix}-web-b`)).toBeVisible();
    await expect(instanceRow(page, `${prefix}-db`)).toHaveCount(0);

    // Newest first by default; the Name header sorts A→Z, then Z→A.
    await nameHeader(page).getByRole("button").click();
    await expect(nameHeader(page)).toHaveAttribute("aria-sort", "ascending");
    await expect(page).toHaveURL(/[?&]sort=name&dir=asc/);
    const rows = page.locator("tbody tr[data-status]");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toHaveAttribute("data-testid", `instance-row-${prefix}-web-a`);
    await nameHeader(page).getByRole("button").click();
    await expect(nameHeader(page)).toHaveAttribute("aria-sort", "descending");
    await expect(rows.first()).toHaveAttribute("data-testid", `instance-row-${prefix}-web-b`);

    // A new instance that does not match the filter stays off this page; one that matches appears.
    created.push(await createInstance(page.request, `${prefix}-db-2`));
    created.push(await createInstance(page.request, `${prefix}-web-c`));
    await expect(instanceRow(page, `${prefix}-web-c`)).toBeVisible();
    await expect(instanceRow(page, `${prefix}-db-2`)).toHaveCount(0);

    await page.reload();
    await expect(page.getByRole("list", { name: "Active filters" })).toContainText(`Name: ${prefix}-WEB`);
    await expect(nameHeader(page)).toHaveAttribute("aria-sort", "descending");
    await expect(rows).toHaveCount(3);
    await expect(rows.first()).toHaveAttribute("data-testid", `instance-row-${prefix}-web-c`);
    await expect(instanceRow(page, `${prefix}-db`)).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);

    await page.goBack();
    await expect(nameHeader(page)).toHaveAttribute("aria-sort", "ascending");
    await expect(rows.first()).toHaveAttribute("data-testid", `instance-row-${prefix}-web-a`);

    await page.getByRole("button", { name: `Remove filter Name: ${prefix}-WEB` }).click();
    await expect(page).not.toHaveURL(/[?&]name=/);
    await expect(instanceRow(page, `${prefix}-db`)).toBeVisible();
  });

  test("a status filter from the address applies, and a bad one is named and ignored", async ({ page }) => {
    await logInByApi(page);
    const prefix = uniqueName("sts");
    created.push(await createInstance(page.request, `${prefix}-one`));
    await expect(instanceRow(page, `${prefix}-one`)).toHaveAttribute("data-status", "ACTIVE", { timeout: 45_000 });

    await page.goto(`/instances?name=${prefix}&status=SHUTOFF`);
    await expect(page.getByRole("list", { name: "Active filters" })).toContainText("Status: Shutoff");
    await expect(page.getByText("No instances match these filters")).toBeVisible();

    await page.goto(`/instances?name=${prefix}&status=RUNNING`);
    await expect(page.getByRole("alert").filter({ hasText: "Ignored in the address" })).toContainText("Status must be one of");
    await expect(instanceRow(page, `${prefix}-one`)).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });
});
