import { expect, test } from "@playwright/test";
import { agents } from "./fixtures/env";
import { expectLive, expectNoSeriousA11yViolations, logIn } from "./helpers/dashboard";

test.describe("Admin → Compute Services", () => {
  test("lists the controller services and both compute agents up", async ({ page }) => {
    await logIn(page, "admin");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Compute Services" }).click();
    await expect(page).toHaveURL(/\/admin\/services$/);
    await expect(page.getByRole("heading", { name: "Compute Services", level: 1 })).toBeVisible();
    await expectLive(page);

    const table = page.getByRole("table", { name: "Compute services" });
    for (const header of ["Binary", "Host", "Zone", "Status", "State", "Last Updated"]) {
      await expect(table.getByRole("columnheader", { name: header })).toBeVisible();
    }
    for (const { host } of agents) {
      const row = page.getByTestId(`service-row-stratus-compute-${host}`);
      await expect(row).toBeVisible();
      await expect(row.getByRole("rowheader")).toHaveText("stratus-compute");
      await expect(row).toHaveAttribute("data-state", "up");
      await expect(row.getByText("Up", { exact: true })).toBeVisible();
      await expect(row.getByText("Enabled", { exact: true })).toBeVisible();
      // Relative time on screen, the exact time in the tooltip.
      await expect(row.locator("time")).toHaveAttribute("title", /\d/);
    }
    for (const binary of ["stratus-api", "stratus-scheduler", "stratus-conductor"]) {
      await expect(table.getByRole("rowheader", { name: binary, exact: true })).toBeVisible();
    }
    await expectNoSeriousA11yViolations(page);
  });
});
