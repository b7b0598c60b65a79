import { expect, test } from "@playwright/test";
import { credentials } from "./fixtures/env";
import { expectNoSeriousA11yViolations, logIn } from "./helpers/dashboard";

test.describe("logging in and out", () => {
  test("a wrong password shows a clear error and stays on the login page", async ({ page }) => {
    await page.goto("/login");
    await expectNoSeriousA11yViolations(page);
    await page.getByLabel("Username").fill(credentials.admin.username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password." })).toBeVisible();
    await expect(page).toHaveURL(/\/login$/);
    // The password never travels in the URL.
    expect(page.url()).not.toContain("not-the-password");
  });

  test("the dashboard sends anonymous visitors to the login page and back after logging in", async ({ page }) => {
    await page.goto("/admin/services");
    await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fservices$/);
    await page.getByLabel("Username").fill(credentials.admin.username);
    await page.getByLabel("Password").fill(credentials.admin.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/admin\/services$/);
    await expect(page.getByRole("heading", { name: "Compute Services" })).toBeVisible();
  });

  test("the root redirects to the instances page", async ({ page }) => {
    await logIn(page, "admin");
    await page.goto("/");
    await expect(page).toHaveURL(/\/instances$/);
  });

  test("an admin sees the Admin section; logging out ends the session", async ({ page }) => {
    await logIn(page, "admin");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Instances" })).toHaveAttribute("aria-current", "page");
    await expect(nav.getByRole("link", { name: "Compute Services" })).toBeVisible();

    const userMenu = page.getByRole("button", { name: /admin/ });
    await expect(userMenu).toHaveAttribute("aria-expanded", "false");
    await userMenu.click();
    await expect(userMenu).toHaveAttribute("aria-expanded", "true");
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);

    // The cookie is gone: the dashboard no longer lets us in.
    await page.goto("/instances");
    await expect(page).toHaveURL(/\/login/);
  });

  test("a member sees no admin navigation and is refused the admin pages", async ({ page }) => {
    await logIn(page, "demo");
    await expect(page.getByRole("button", { name: /demo/ })).toContainText(`Project: ${credentials.demo.project}`);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Instances" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Compute Services" })).toHaveCount(0);
    await expect(page.getByText("Admin", { exact: true })).toHaveCount(0);

    await page.goto("/admin/services");
    await expect(page.getByRole("alert").filter({ hasText: "not authorized" })).toBeVisible();
  });

  test("the theme follows the system and a chosen theme survives a reload", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await logIn(page, "admin");
    const html = page.locator("html");
    await expect(html).toHaveClass(/\bdark\b/);

    const themes = page.getByRole("group", { name: "Colour theme" });
    await themes.getByRole("button", { name: "Light" }).click();
    await expect(html).not.toHaveClass(/\bdark\b/);
    await page.reload();
    await expect(html).not.toHaveClass(/\bdark\b/);
    await expect(themes.getByRole("button", { name: "Light" })).toHaveAttribute("aria-pressed", "true");
    await expectNoSeriousA11yViolations(page);

    await themes.getByRole("button", { name: "System" }).click();
    await expect(html).toHaveClass(/\bdark\b/);
    await expectNoSeriousA11yViolations(page);
  });
});
