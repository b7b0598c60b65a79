// Admin → Images and Project → Images: the table, Create Image with an upload that shows real
// progress and ends Active (live), a refused upload explained with its request id, delete with a
// confirmation, and what a member sees.
import { expect, test, type Page } from "@playwright/test";
import { logInByApi, trpcMutation, trpcQuery } from "./helpers/api";
import { expectNoSeriousA11yViolations, uniqueName } from "./helpers/dashboard";

const MiB = 1024 * 1024;

function imageRow(page: Page, name: string) {
  return page.getByTestId(`image-row-${name}`);
}

/** Slows this page's uploads so the progress bar can be watched moving. */
async function throttleUploads(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  return () => cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

test.describe("Admin → Images", () => {
  test("create an image: the upload shows progress and the row ends Active", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page, "admin");
    const admin = page.getByRole("navigation", { name: "Main" }).getByRole("list", { name: "Admin" });
    await admin.getByRole("link", { name: "Images" }).click();
    await expect(page).toHaveURL(/\/admin\/images$/);
    await expect(page.getByRole("heading", { name: "Images", level: 1 })).toBeVisible();
    const table = page.getByRole("table", { name: "Images" });
    for (const header of ["Name", "Status", "Format", "Size", "Visibility", "Owner", "Min Disk", "Min RAM", "Created"]) {
      await expect(table.getByRole("columnheader", { name: header, exact: true })).toBeVisible();
    }
    await expectNoSeriousA11yViolations(page);

    const name = uniqueName("e2e-img");
    await page.getByRole("button", { name: "Create Image" }).click();
    const dialog = page.getByRole("dialog", { name: "Create Image" });
    await expect(dialog.getByLabel("Image Name")).toBeFocused();
    // An 8 MiB raw disk (whole sectors of zeros): the format follows the file name.
    await dialog.getByLabel("Image File").setInputFiles({ name: `${name}.raw`, mimeType: "application/octet-stream", buffer: Buffer.alloc(8 * MiB) });
    await expect(dialog.getByLabel("Image Name")).toHaveValue(name);
    await expect(dialog.getByLabel("Format")).toHaveValue("raw");
    await dialog.getByLabel("Minimum Disk (GB)").fill("1");
    await dialog.getByLabel("Minimum RAM (MB)").fill("128");
    await dialog.getByRole("button", { name: "Add property" }).click();
    await dialog.getByLabel("Property 1 name").fill("os_distro");
    await dialog.getByLabel("Property 1 value").fill("cirros");
    await dialog.getByRole("button", { name: "Add property" }).click();
    await dialog.getByLabel("Property 2 name").fill("bad name!");
    await dialog.getByRole("button", { name: "Create Image" }).click();
    await expect(dialog.getByText("Names use letters, digits")).toBeVisible();
    await dialog.getByRole("button", { name: "Remove property 2 (bad name!)" }).click();
    await expectNoSeriousA11yViolations(page);

    const restore = await throttleUploads(page, 2 * MiB);
    await dialog.getByRole("button", { name: "Create Image" }).click();
    // The record exists (Queued or Saving) while the bytes are still on their way.
    const row = imageRow(page, name);
    await expect(row).toBeVisible();
    const bar = dialog.getByRole("progressbar", { name: `Upload of ${name}` });
    await expect(bar).toBeVisible();
    await expect
      .poll(async () => Number((await bar.getAttribute("aria-valuenow")) ?? "0"), { message: "progress moves before the end" })
      .toBeGreaterThan(0);
    const midway = Number((await bar.getAttribute("aria-valuenow")) ?? "100");
    expect(midway).toBeLessThan(100);
    await expect(dialog.getByTestId("upload-status")).toContainText(/Uploading: .* of 8\.0 MB/);
    await expect(row).toHaveAttribute("data-status", "saving");
    await expect(dialog.getByRole("button", { name: "Cancel upload" })).toBeVisible();

    await expect(dialog).toBeHidden({ timeout: 60_000 });
    await restore();
    await expect(page.getByRole("status").filter({ hasText: `Image "${name}" uploaded and active.` })).toBeVisible();
    await expect(row).toHaveAttribute("data-status", "active");
    await expect(row.getByText("Active", { exact: true })).toBeVisible();
    await expect(row).toContainText("8.0 MB");
    await expect(row).toContainText("os_distro=cirros");
    await expect(row).toContainText("128 MB");
    const images = await trpcQuery<{ name: string; checksum: string | null; minDiskGb: number }[]>(page.request, "image.list");
    const stored = images.find((i) => i.name === name);
    // sha256 of 8 MiB of zeros: the browser sent it and the server verified it.
    expect(stored?.checksum).toBe("2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74");
    expect(stored?.minDiskGb).toBe(1);

    await row.getByRole("button", { name: `Delete Image: ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm Delete Image" });
    await expect(confirm).toContainText(`"${name}"`);
    await confirm.getByRole("button", { name: "Delete Image" }).click();
    await expect(row).toHaveCount(0);
  });

  test("a refused upload is explained and the image stays queued for another try", async ({ page }) => {
    test.setTimeout(60_000);
    await logInByApi(page, "admin");
    await page.goto("/admin/images");
    const name = uniqueName("e2e-bad-img");
    await page.getByRole("button", { name: "Create Image" }).click();
    const dialog = page.getByRole("dialog", { name: "Create Image" });
    await dialog.getByLabel("Image Name").fill(name);
    await dialog.getByLabel("Format").selectOption("qcow2");
    await dialog.getByLabel("Image File").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a disk image\n".repeat(64)) });
    await dialog.getByRole("button", { name: "Create Image" }).click();
    const alert = dialog.getByRole("alert");
    await expect(alert).toContainText("Upload failed:");
    await expect(alert).toContainText("is not a qcow2 disk image");
    await expect(alert).toContainText(/Request ID: req-/);
    await expect(imageRow(page, name)).toHaveAttribute("data-status", "queued");
    await expectNoSeriousA11yViolations(page);
    await dialog.getByRole("button", { name: "Close" }).click();

    // The row offers the upload again.
    const row = imageRow(page, name);
    await expect(row.getByRole("button", { name: `Upload data: ${name}` })).toBeVisible();
    await row.getByRole("button", { name: `Delete Image: ${name}` }).click();
    await page.getByRole("dialog", { name: "Confirm Delete Image" }).getByRole("button", { name: "Delete Image" }).click();
    await expect(row).toHaveCount(0);
  });
});

test.describe("Project → Images", () => {
  test("a member sees public images and the project's own, and cannot publish", async ({ page }) => {
    await logInByApi(page, "admin");
    const hidden = uniqueName("e2e-admin-private");
    const created = await trpcMutation<{ id: string }>(page.request, "image.create", { name: hidden, diskFormat: "raw", visibility: "private" });

    const member = await page.context().browser()!.newContext();
    const memberPage = await member.newPage();
    try {
      await logInByApi(memberPage, "demo");
      await memberPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Images" }).click();
      await expect(memberPage).toHaveURL(/\/images$/);
      const table = memberPage.getByRole("table", { name: "Images" });
      await expect(table.locator('tr[data-status="active"]').first()).toBeVisible();
      await expect(table.getByText("public", { exact: true }).first()).toBeVisible();
      await expect(imageRow(memberPage, hidden)).toHaveCount(0);
      await expect(table.getByRole("columnheader", { name: "Owner" })).toHaveCount(0);
      await expectNoSeriousA11yViolations(memberPage);

      await memberPage.getByRole("button", { name: "Create Image" }).click();
      const dialog = memberPage.getByRole("dialog", { name: "Create Image" });
      await expect(dialog.getByRole("option", { name: "Public" })).toBeDisabled();
      await expect(dialog.getByText("Only admins can publish images.")).toBeVisible();
      await memberPage.keyboard.press("Escape");

      await memberPage.goto("/admin/images");
      await expect(memberPage.getByRole("alert").filter({ hasText: "needs the admin role" })).toBeVisible();
    } finally {
      await member.close();
      await trpcMutation(page.request, "image.delete", { id: created.id });
    }
  });
});
