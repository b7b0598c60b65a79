// Driving an instance's action menu as a user does: the visible button when the action is the
// primary one, otherwise the dropdown; confirm dialogs answered; the result awaited as visible state.
import { expect, type Locator, type Page } from "@playwright/test";

/** The element holding one instance's actions (a table row or the detail page header). */
export function actionsOf(scope: Locator): Locator {
  return scope.getByTestId("instance-actions");
}

export async function openMenu(page: Page, scope: Locator): Promise<Locator> {
  const trigger = actionsOf(scope).getByRole("button", { name: /actions for/i });
  await trigger.click();
  await expect(trigger).toHaveAttribute("aria-expanded", "true");
  const menu = page.getByRole("menu");
  await expect(menu).toBeVisible();
  return menu;
}

/** Runs `label` ("Shut Off Instance") from the visible button or the menu; answers its confirm dialog. */
export async function runAction(page: Page, scope: Locator, label: string, opts: { confirm?: boolean } = {}): Promise<void> {
  const primary = actionsOf(scope).locator("button[data-action]").filter({ hasText: label });
  if ((await primary.count()) > 0 && (await primary.isEnabled())) {
    await primary.click();
  } else {
    const menu = await openMenu(page, scope);
    const item = menu.getByRole("menuitem", { name: label, exact: true });
    await expect(item).not.toHaveAttribute("aria-disabled", "true");
    await item.click();
    await expect(menu).toBeHidden();
  }
  if (opts.confirm) {
    const dialog = page.getByRole("dialog", { name: `Confirm ${label}` });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: label, exact: true }).click();
    await expect(dialog).toBeHidden();
  }
}

/** Waits until the row or header shows `status` with no task running. */
export async function expectSettled(scope: Locator, status: string, timeout = 45_000): Promise<void> {
  await expect(scope).toHaveAttribute("data-status", status, { timeout });
  await expect(scope).toHaveAttribute("data-task", "", { timeout });
}
