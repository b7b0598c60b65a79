// Admin → Hypervisors: both simulated hosts with their capacity, and usage that follows an
// instance's claim and release live. The instance is created through the API.
import { expect, test } from "@playwright/test";
import { agents } from "./fixtures/env";
import { createInstance, deleteInstance, getInstance, logInByApi } from "./helpers/api";
import { expectSettled } from "./helpers/actions";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

test.describe("Admin → Hypervisors", () => {
  test("lists every compute host with usage that follows instances live", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-hyp");
    const { uuid } = await createInstance(page.request, name);
    await expectSettled(instanceRow(page, name), "ACTIVE", 60_000);
    const host = (await getInstance(page.request, uuid)).host ?? "";
    expect(host).toMatch(/^compute-\d$/);

    const admin = page.getByRole("navigation", { name: "Main" }).getByRole("list", { name: "Admin" });
    await admin.getByRole("link", { name: "Hypervisors" }).click();
    await expect(page).toHaveURL(/\/admin\/hypervisors$/);
    await expect(page.getByRole("heading", { name: "Hypervisors", level: 1 })).toBeVisible();
    const table = page.getByRole("table", { name: "Hypervisors" });
    for (const header of ["Hostname", "Type", "State", "vCPUs", "RAM", "Local Storage", "Instances", "Room for"]) {
      await expect(table.getByRole("columnheader", { name: header, exact: true })).toBeVisible();
    }
    for (const a of agents) {
      const row = page.getByTestId(`hypervisor-row-${a.host}`);
      await expect(row).toHaveAttribute("data-state", "up");
      await expect(row.getByRole("meter", { name: `${a.host} vCPUs used` })).toHaveAttribute("aria-valuetext", /of .* used/);
      await expect(row).toContainText(`total ${a.cpus} vCPUs`);
    }
    for (const title of ["vCPU Usage", "Memory Usage", "Local Disk Usage"]) {
      await expect(page.getByRole("heading", { name: title })).toBeVisible();
    }
    // The heatmap has a cell per host, and its label counts the hosts per band.
    const heatmap = page.getByRole("img", { name: /hosts by their fullest resource/ });
    await expect(heatmap).toHaveAttribute("aria-label", new RegExp(`^${agents.length} hosts by their fullest resource: `));
    for (const a of agents) await expect(heatmap.locator(`[data-host="${a.host}"]`)).toHaveAttribute("data-band", /%/);
    await expectNoSeriousA11yViolations(page);

    // The instance's m1.tiny holds 1 vCPU on its host; deleting it gives that back, live.
    const meter = page.getByTestId(`hypervisor-row-${host}`).getByRole("meter", { name: `${host} vCPUs used` });
    const before = Number(await meter.getAttribute("aria-valuenow"));
    expect(before).toBeGreaterThanOrEqual(1);
    await deleteInstance(page.request, uuid);
    await expect(meter).toHaveAttribute("aria-valuenow", String(before - 1));
  });
});
