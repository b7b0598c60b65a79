// Moving instances from the dashboard: an admin migrates to a chosen host and confirms; a member
// resizes to a bigger flavor and reverts. Each move goes through VERIFY_RESIZE ("Confirm or Revert
// Resize/Migrate"), shown live in the row. Instances are created through the API.
import { expect, test } from "@playwright/test";
import { agents } from "./fixtures/env";
import { createInstance, deleteInstance, getInstance, logInByApi } from "./helpers/api";
import { actionsOf, expectSettled, runAction } from "./helpers/actions";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

const MOVE_TIMEOUT = 60_000;

test.describe("Migrate and resize", () => {
  test("an admin migrates to a chosen host and confirms", async ({ page }) => {
    test.setTimeout(150_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-migrate");
    const { uuid } = await createInstance(page.request, name);
    try {
      const row = instanceRow(page, name);
      await expectSettled(row, "ACTIVE", MOVE_TIMEOUT);
      const source = (await getInstance(page.request, uuid)).host!;
      const dest = agents.map((a) => a.host).find((h) => h !== source)!;

      await runAction(page, row, "Migrate Instance");
      const dialog = page.getByRole("dialog", { name: "Migrate Instance" });
      await expect(dialog).toContainText(`"${name}"`);
      const host = dialog.getByLabel("Destination host");
      await expect(host.locator("option", { hasText: dest })).toHaveCount(1);
      await expect(host.locator("option", { hasText: source })).toHaveCount(0);
      await host.selectOption({ label: (await host.locator("option", { hasText: dest }).textContent()) ?? dest });
      await expectNoSeriousA11yViolations(page);
      await dialog.getByRole("button", { name: "Migrate Instance", exact: true }).click();
      await expect(dialog).toBeHidden();

      // Live: the row waits for a decision on its new host, with Confirm as its button.
      await expect(row).toHaveAttribute("data-status", "VERIFY_RESIZE", { timeout: MOVE_TIMEOUT });
      await expect(row.getByText("Confirm or Revert Resize/Migrate")).toBeVisible();
      // The controller's resize confirm window is an hour: the row says when the move confirms itself.
      await expect(row.getByTestId("auto-confirm")).toHaveText(/^Confirms automatically in (59 minutes|1 hour)$/);
      await expect(row).toContainText(dest);
      await expect(actionsOf(row).locator("button[data-action]")).toHaveText("Confirm Resize/Migrate");
      await runAction(page, row, "Confirm Resize/Migrate");
      await expectSettled(row, "ACTIVE", MOVE_TIMEOUT);
      await expect(row).toContainText(dest);
    } finally {
      await deleteInstance(page.request, uuid);
    }
  });

  test("a member resizes to a bigger flavor and reverts", async ({ page }) => {
    test.setTimeout(150_000);
    await logInByApi(page, "demo");
    const name = uniqueName("e2e-resize");
    const { uuid } = await createInstance(page.request, name);
    try {
      const row = instanceRow(page, name);
      await expectSettled(row, "ACTIVE", MOVE_TIMEOUT);
      // Migrate is an admin's action: a member's menu has no such item.
      await runAction(page, row, "Resize Instance");
      const dialog = page.getByRole("dialog", { name: "Resize Instance" });
      const flavor = dialog.getByLabel("New flavor");
      await expect(flavor.locator("option", { hasText: "m1.tiny" })).toHaveCount(0);
      await flavor.selectOption({ label: (await flavor.locator("option", { hasText: "m1.small" }).textContent()) ?? "m1.small" });
      await expect(dialog).toContainText("From m1.tiny to m1.small");
      await dialog.getByRole("button", { name: "Resize Instance", exact: true }).click();
      await expect(dialog).toBeHidden();

      await expect(row).toHaveAttribute("data-status", "VERIFY_RESIZE", { timeout: MOVE_TIMEOUT });
      await expect(row).toContainText("m1.small");
      await runAction(page, row, "Revert Resize/Migrate");
      await expectSettled(row, "ACTIVE", MOVE_TIMEOUT);
      await expect(row).toContainText("m1.tiny");
      await expectNoSeriousA11yViolations(page);
    } finally {
      await deleteInstance(page.request, uuid);
    }
  });
});
