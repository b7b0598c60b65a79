import { expect, test } from "@playwright/test";
import { agents } from "./fixtures/env";
import { setComputeService } from "./helpers/api";
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

  test.describe("disable and enable", () => {
    const host = agents[1].host;

    // Other specs schedule instances: the host must be back in service whatever happened here.
    test.afterEach(async ({ page }) => {
      await setComputeService(page.request, host, true);
    });

    test("disables a compute host with a reason, enables it again, and follows another admin's changes live", async ({ page }) => {
      await logIn(page, "admin");
      await page.goto("/admin/services");
      await expectLive(page);
      const row = page.getByTestId(`service-row-stratus-compute-${host}`);
      await expect(row).toHaveAttribute("data-status", "enabled");
      // Controller services are not switched from here.
      await expect(page.getByTestId(/^service-row-stratus-api-/).getByRole("button")).toHaveCount(0);

      await row.getByRole("button", { name: `Disable Service: stratus-compute on ${host}` }).click();
      const dialog = page.getByRole("dialog", { name: "Disable Service" });
      await expect(dialog).toContainText(`No new instances will be scheduled to ${host}.`);
      await expect(dialog.getByLabel("Reason")).toBeFocused();
      await dialog.getByLabel("Reason").fill("x".repeat(256));
      await dialog.getByRole("button", { name: "Disable Service" }).click();
      await expect(dialog.getByText("At most 255 characters (256 now).")).toBeVisible();
      await expect(row).toHaveAttribute("data-status", "enabled");
      await expectNoSeriousA11yViolations(page);
      await dialog.getByLabel("Reason").fill("firmware upgrade");
      await dialog.getByRole("button", { name: "Disable Service" }).click();
      await expect(dialog).toBeHidden();
      await expect(row).toHaveAttribute("data-status", "disabled");
      await expect(row.getByText("Reason: firmware upgrade")).toBeVisible();
      await expectNoSeriousA11yViolations(page);

      await row.getByRole("button", { name: `Enable Service: stratus-compute on ${host}` }).click();
      await expect(row).toHaveAttribute("data-status", "enabled");
      await expect(row.getByText("Enabled", { exact: true })).toBeVisible();
      await expect(row.getByText(/Reason:/)).toHaveCount(0);

      // Another admin's change arrives by push, with no reload.
      await setComputeService(page.request, host, false, "rack power work");
      await expect(row.getByText("Reason: rack power work")).toBeVisible();
      await setComputeService(page.request, host, true);
      await expect(row).toHaveAttribute("data-status", "enabled");
    });
  });
});
