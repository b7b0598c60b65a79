// Admin → Log Viewer: a live tail of every service's log. Lines of an instance's actions appear
// as they are written, pausing holds them back and resuming shows them, and the filters live in
// the URL. Members get no access. The instance and its actions come through the API.
import { expect, test } from "@playwright/test";
import { createInstance, deleteInstance, getInstance, logInByApi, trpcMutation } from "./helpers/api";
import { expectNoSeriousA11yViolations, uniqueName } from "./helpers/dashboard";

const BUILD_TIMEOUT = 45_000;

test.describe("Admin → Log Viewer", () => {
  test("follows an instance's lines live, pauses and resumes, keeps its filters in the URL", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page, "admin");
    const instance = await createInstance(page.request, uniqueName("e2e-logs"));
    try {
      await expect.poll(async () => (await getInstance(page.request, instance.uuid)).status, { timeout: BUILD_TIMEOUT }).toBe("ACTIVE");

      await page.goto(`/admin/logs?instance=${instance.uuid}`);
      await expect(page.getByRole("heading", { name: "Log Viewer", level: 1 })).toBeVisible();
      await expect(page.getByLabel("Instance ID")).toHaveValue(instance.uuid);
      const status = page.getByTestId("log-tail-status");
      await expect(status).toHaveAttribute("data-state", "following");
      const lines = page.getByRole("list", { name: "Log lines" }).getByRole("listitem");
      // The build's lines, every one about this instance.
      await expect(lines.first()).toBeVisible();
      await expect(lines.filter({ hasNotText: `[instance: ${instance.uuid}]` })).toHaveCount(0);

      // A new action's lines arrive without a reload.
      await trpcMutation(page.request, "server.pause", { id: instance.uuid });
      await expect(lines.filter({ hasText: "Pause Instance requested" })).toHaveCount(1);
      await expect.poll(async () => (await getInstance(page.request, instance.uuid)).status, { timeout: BUILD_TIMEOUT }).toBe("PAUSED");

      // Paused: new lines are held back and counted, then shown on resume.
      await page.getByRole("button", { name: "Pause", exact: true }).click();
      await expect(status).toHaveAttribute("data-state", "paused");
      await trpcMutation(page.request, "server.unpause", { id: instance.uuid });
      await expect(status).toContainText(/\d+ new lines? held back/);
      await expect(lines.filter({ hasText: "Resume Instance requested" })).toHaveCount(0);
      const resume = page.getByRole("button", { name: /^Resume \(\d+ new\)$/ });
      await expect(resume).toHaveAttribute("aria-pressed", "true");
      await resume.click();
      await expect(status).toHaveAttribute("data-state", "following");
      await expect(lines.filter({ hasText: "Resume Instance requested" })).toHaveCount(1);
      await expectNoSeriousA11yViolations(page);

      // A level filter joins the URL; a reload keeps both filters.
      await page.getByLabel("Level").selectOption("40");
      await expect(page).toHaveURL(/level=40/);
      await expect(page).toHaveURL(new RegExp(`instance=${instance.uuid}`));
      await page.reload();
      await expect(page.getByLabel("Level")).toHaveValue("40");
      await expect(page.getByLabel("Instance ID")).toHaveValue(instance.uuid);
      await expect(page.getByText("No log lines yet")).toBeVisible();

      // A bad instance id is refused in the form, not sent.
      await page.getByLabel("Instance ID").fill("web-1");
      await page.getByRole("button", { name: "Filter", exact: true }).click();
      await expect(page.getByText("Instance IDs are UUIDs.")).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`instance=${instance.uuid}`));

      await page.getByRole("button", { name: "Clear filters" }).click();
      await expect(page).toHaveURL(/\/admin\/logs$/);
      await expect(lines.first()).toBeVisible();
    } finally {
      await deleteInstance(page.request, instance.uuid);
    }
  });

  test("a member has no Log Viewer", async ({ page }) => {
    await logInByApi(page, "demo");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log Viewer" })).toHaveCount(0);
    await page.goto("/admin/logs");
    await expect(page.getByRole("alert").filter({ hasText: "this page needs the admin role" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });
});
