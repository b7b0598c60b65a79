import { expect, test, type Page } from "@playwright/test";
import { createFlavor, deleteFlavorIfPresent } from "./helpers/api";
import { expectLive, expectNoSeriousA11yViolations, logIn, uniqueName } from "./helpers/dashboard";

const flavorRow = (page: Page, name: string) => page.getByTestId(`flavor-row-${name}`);

async function openFlavorAction(page: Page, name: string, action: string): Promise<void> {
  const trigger = flavorRow(page, name).getByRole("button", { name: `Actions for ${name}` });
  await trigger.click();
  const menu = page.getByRole("menu");
  await menu.getByRole("menuitem", { name: action, exact: true }).click();
  await expect(menu).toBeHidden();
}

test.describe("Admin → Flavors", () => {
  let cleanup: string[] = [];

  test.afterEach(async ({ page }) => {
    for (const id of cleanup) await deleteFlavorIfPresent(page.request, id);
    cleanup = [];
  });

  test("lists the flavors, creates one through the dialog and deletes it after a confirm naming it", async ({ page }) => {
    await logIn(page, "admin");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Flavors" }).click();
    await expect(page).toHaveURL(/\/admin\/flavors$/);
    await expect(page.getByRole("heading", { name: "Flavors", level: 1 })).toBeVisible();
    await expectLive(page);
    const table = page.getByRole("table", { name: "Flavors" });
    for (const header of ["Name", "vCPUs", "RAM", "Root Disk", "Ephemeral", "Swap", "Public", "Extra Specs"]) {
      await expect(table.getByRole("columnheader", { name: header, exact: true })).toBeVisible();
    }
    await expect(flavorRow(page, "m1.tiny").getByRole("cell").first()).toHaveText("1");
    await expectNoSeriousA11yViolations(page);

    const name = uniqueName("e2e-flavor");
    await page.getByRole("button", { name: "Create Flavor" }).click();
    const dialog = page.getByRole("dialog", { name: "Create Flavor" });
    await expect(dialog.getByLabel("Name")).toBeFocused();
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("vCPUs").fill("0");
    await dialog.getByLabel("RAM (MB)").fill("768");
    await dialog.getByLabel("Swap Disk (MB)").fill("256");
    await dialog.getByRole("button", { name: "Create Flavor" }).click();
    await expect(dialog.getByText("vCPUs must be at least 1.")).toBeVisible();
    await expect(dialog.getByLabel("vCPUs")).toHaveAttribute("aria-invalid", "true");
    await expectNoSeriousA11yViolations(page);

    await dialog.getByLabel("vCPUs").fill("2");
    await dialog.getByRole("button", { name: "Create Flavor" }).click();
    await expect(dialog).toBeHidden();
    const row = flavorRow(page, name);
    await expect(row).toBeVisible();
    const id = (await row.getByRole("rowheader").locator("span").nth(1).textContent()) ?? "";
    cleanup.push(id);
    await expect(row.getByRole("cell")).toHaveText(["2", "768 MB", "1 GB", "0 GB", "256 MB", "Yes", "-", /Actions/]);

    // The same name again is refused by the API and explained in the dialog.
    await page.getByRole("button", { name: "Create Flavor" }).click();
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByRole("button", { name: "Create Flavor" }).click();
    await expect(dialog.getByRole("alert")).toContainText(`Flavor with name ${name} already exists.`);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();

    await openFlavorAction(page, name, "Delete Flavor");
    const confirm = page.getByRole("dialog", { name: "Confirm Delete Flavor" });
    await expect(confirm).toContainText(`"${name}"`);
    await expectNoSeriousA11yViolations(page);
    await confirm.getByRole("button", { name: "Delete Flavor" }).click();
    await expect(confirm).toBeHidden();
    await expect(row).toBeHidden();
  });

  test("edits a private flavor's extra specs and the projects it is shared with", async ({ page }) => {
    await logIn(page, "admin");
    const name = uniqueName("e2e-private");
    const flavor = await createFlavor(page.request, { name, isPublic: false });
    cleanup.push(flavor.id);
    await page.goto("/admin/flavors");
    const row = flavorRow(page, name);
    await expect(row.getByRole("cell").nth(5)).toHaveText(/^No\s*no projects$/);

    await openFlavorAction(page, name, "Update Metadata");
    const specs = page.getByRole("dialog", { name: `Update Metadata: ${name}` });
    await specs.getByRole("button", { name: "Add extra spec" }).click();
    await specs.getByLabel("Extra spec 1 name").fill("hw:cpu_policy");
    await specs.getByLabel("Extra spec 1 value").fill("fast");
    await specs.getByRole("button", { name: "Add extra spec" }).click();
    await specs.getByLabel("Extra spec 2 name").fill("capabilities:cpu_info:arch");
    await specs.getByLabel("Extra spec 2 value").fill("x86_64");
    await specs.getByRole("button", { name: "Save" }).click();
    await expect(specs.getByText("The value of hw:cpu_policy must be one of shared, dedicated, mixed.")).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await specs.getByLabel("Extra spec 1 value").fill("dedicated");
    await specs.getByRole("button", { name: "Save" }).click();
    await expect(specs).toBeHidden();
    await expect(row.getByRole("listitem")).toHaveText(["hw:cpu_policy=dedicated", "capabilities:cpu_info:arch=x86_64"]);

    // Removing a row unsets that spec.
    await openFlavorAction(page, name, "Update Metadata");
    await specs.getByRole("button", { name: "Remove extra spec 1 (hw:cpu_policy)" }).click();
    await specs.getByRole("button", { name: "Save" }).click();
    await expect(specs).toBeHidden();
    await expect(row.getByRole("listitem")).toHaveText(["capabilities:cpu_info:arch=x86_64"]);

    await openFlavorAction(page, name, "Modify Access");
    const access = page.getByRole("dialog", { name: `Modify Access: ${name}` });
    await expect(access.getByText("No project can boot this flavor yet")).toBeVisible();
    await access.getByLabel("Add a project").selectOption({ label: "demo" });
    await access.getByRole("button", { name: "Add", exact: true }).click();
    await expect(access.getByRole("button", { name: "Remove access: demo" })).toBeVisible();
    await expect(row.getByRole("cell").nth(5)).toHaveText(/^No\s*demo$/);
    await expectNoSeriousA11yViolations(page);
    await access.getByRole("button", { name: "Remove access: demo" }).click();
    await expect(access.getByText("No project can boot this flavor yet")).toBeVisible();
    await access.getByRole("button", { name: "Done" }).click();
    await expect(access).toBeHidden();
    await expect(row.getByRole("cell").nth(5)).toHaveText(/^No\s*no projects$/);
  });

  test("offers no access list for a public flavor", async ({ page }) => {
    await logIn(page, "admin");
    await page.goto("/admin/flavors");
    await flavorRow(page, "m1.tiny").getByRole("button", { name: "Actions for m1.tiny" }).click();
    const item = page.getByRole("menu").getByRole("menuitem", { name: "Modify Access" });
    await expect(item).toHaveAttribute("aria-disabled", "true");
    await expect(item).toHaveAccessibleDescription("Public flavors are open to every project.");
    await page.keyboard.press("Escape");
  });
});
