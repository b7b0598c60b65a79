import { expect, test, type Page } from "@playwright/test";
import { createInstance, deleteInstance, getInstance, logInByApi, type CreatedInstance } from "./helpers/api";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

// Filters, sort and page live in the URL: they survive a reload and walk back with the browser.
// The IP filter takes the start of a fixed IP, and the IP Address column shows them.

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

  test("the IP Address column, and an IP filter kept in the URL that live rows respect", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page);
    const prefix = uniqueName("ip");
    for (const suffix of ["a", "b"]) created.push(await createInstance(page.request, `${prefix}-${suffix}`));
    for (const suffix of ["a", "b"]) await expect(instanceRow(page, `${prefix}-${suffix}`)).toHaveAttribute("data-status", "ACTIVE", { timeout: 45_000 });
    const [a, b] = await Promise.all(created.map(async (i) => ({ name: i.name, ip: (await getInstance(page.request, i.uuid)).addresses.private?.[0]?.address ?? "" })));
    expect(a!.ip).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(b!.ip).toMatch(/^10\.0\.\d+\.\d+$/);

    await expect(page.getByRole("columnheader", { name: "IP Address" })).toBeVisible();
    await expect(instanceRow(page, a!.name).getByRole("list", { name: "IP addresses" })).toHaveText(a!.ip);
    await expect(instanceRow(page, b!.name).getByRole("list", { name: "IP addresses" })).toHaveText(b!.ip);

    // The filter is the start of an address: pick the one the other does not start with (10.0.0.12, not 10.0.0.1).
    const [target, other] = b!.ip.startsWith(a!.ip) ? [b!, a!] : [a!, b!];
    const search = page.getByRole("search", { name: "Filter instances" });
    await search.getByLabel("Filter by").selectOption("ip");
    await search.getByRole("textbox", { name: "IP Address" }).fill(target.ip);
    await search.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(new RegExp(`[?&]ip=${target.ip.replaceAll(".", "\\.")}(&|$)`));
    await expect(page.getByRole("list", { name: "Active filters" })).toContainText(`IP Address: ${target.ip}`);
    await expect(instanceRow(page, target.name)).toBeVisible();
    await expect(instanceRow(page, other.name)).toHaveCount(0);

    await page.reload();
    await expect(page.getByRole("list", { name: "Active filters" })).toContainText(`IP Address: ${target.ip}`);
    await expect(instanceRow(page, target.name)).toBeVisible();
    await expect(instanceRow(page, other.name)).toHaveCount(0);

    // A new instance joins a list filtered by the start of its network once its address is allocated.
    await page.goto(`/instances?name=${prefix}&ip=10.0.`);
    await expect(page.locator("tbody tr[data-status]")).toHaveCount(2);
    created.push(await createInstance(page.request, `${prefix}-c`));
    await expect(instanceRow(page, `${prefix}-c`).getByRole("list", { name: "IP addresses" })).toHaveText(/^10\.0\.\d+\.\d+$/, { timeout: 45_000 });
    await expectNoSeriousA11yViolations(page);

    await page.goto(`/instances?name=${prefix}&ip=10.0.x`);
    await expect(page.getByRole("alert").filter({ hasText: "Ignored in the address" })).toContainText("IP filter must be the start of an IPv4 address");
    await expect(page.locator("tbody tr[data-status]")).toHaveCount(3);
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
