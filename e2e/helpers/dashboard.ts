// Shared steps of the dashboard specs: logging in through the form, launching through the dialog,
// and the accessibility check every page gets.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";
import { credentials } from "../fixtures/env";

export type Login = keyof typeof credentials;

export async function logIn(page: Page, who: Login = "admin"): Promise<void> {
  const { username, password } = credentials[who];
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/instances$/);
  await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();
}

/** Waits until pushed updates flow, so a test never races the socket handshake. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "connected");
}

/** A name no other run or test has used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export function instanceRow(page: Page, name: string): Locator {
  return page.getByTestId(`instance-row-${name}`);
}

export interface LaunchOptions {
  /** The availability zone to pick, by name. */
  zone?: string;
  /** The server group to pick, by name. */
  group?: string;
}

export async function launchInstance(page: Page, name: string, count = 1, options: LaunchOptions = {}): Promise<void> {
  await page.getByRole("button", { name: "Launch Instance" }).click();
  const dialog = page.getByRole("dialog", { name: "Launch Instance" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Instance Name").fill(name);
  // The smallest seeded flavor, picked by its name so the test does not depend on flavor ids.
  const flavor = dialog.getByLabel("Flavor");
  await expect(flavor).toBeEnabled();
  const tiny = await flavor.locator("option", { hasText: "m1.tiny" }).getAttribute("value");
  await flavor.selectOption(tiny ?? "");
  const image = dialog.getByLabel("Image");
  await expect(image).toBeEnabled();
  await image.selectOption({ index: 1 });
  await dialog.getByLabel("Count").fill(String(count));
  if (options.zone) {
    const zone = dialog.getByLabel("Availability Zone");
    await expect(zone).toBeEnabled();
    await zone.selectOption({ label: await optionLabel(zone, options.zone) });
  }
  if (options.group) {
    const group = dialog.getByLabel("Server Group");
    await expect(group).toBeEnabled();
    await group.selectOption({ label: await optionLabel(group, options.group) });
  }
  await dialog.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(dialog).toBeHidden();
}

/** The full label of the option whose label starts with `name ` ("az-1 (1 host)"). */
async function optionLabel(select: Locator, name: string): Promise<string> {
  const option = select.locator("option").filter({ hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(`) });
  await expect(option).toHaveCount(1);
  return (await option.textContent()) ?? name;
}

/** No serious or critical WCAG 2.1 A/AA violations on what the page shows now. */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(serious, serious.join("\n")).toEqual([]);
}
