// The Instances page's per-row action menu on libvirt's test driver: every lifecycle action ends in
// Nova's status for it, disabled items say why, a member is held back by a lock, and bulk actions
// report per instance. Instances are created through the API; every wait is on visible state (or,
// for an action that ends where it started, on the API's record of the action finishing).
import { expect, test, type Page } from "@playwright/test";
import { actionsOf, expectSettled, openMenu, runAction } from "./helpers/actions";
import { createInstance, deleteInstance, getInstance, listActions, logInByApi, trpcMutation } from "./helpers/api";
import { expectNoSeriousA11yViolations, instanceRow, uniqueName } from "./helpers/dashboard";

const BUILD_TIMEOUT = 60_000;

function toast(page: Page, text: string) {
  return page.getByRole("status").filter({ hasText: text });
}

/** Waits until the instance's newest `action` record is finished, and returns it. */
async function finishedAction(page: Page, uuid: string, action: string) {
  let found: Awaited<ReturnType<typeof listActions>>[number] | undefined;
  await expect
    .poll(
      async () => {
        found = (await listActions(page.request, uuid)).find((a) => a.action === action);
        return found?.finishTime ? "finished" : "running";
      },
      { timeout: BUILD_TIMEOUT, message: `${action} finishes` },
    )
    .toBe("finished");
  if (!found) throw new Error(`no ${action} action`);
  return found;
}

test.describe("Instances → row actions", () => {
  test("every lifecycle action from the row ends in its status", async ({ page }) => {
    test.setTimeout(300_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-life");
    const { uuid } = await createInstance(page.request, name);
    const row = instanceRow(page, name);
    await expectSettled(row, "ACTIVE", BUILD_TIMEOUT);
    const primary = actionsOf(row).locator("button[data-action]");

    // Soft Reboot asks first, naming the instance, with Horizon's help text.
    const menu = await openMenu(page, row);
    await menu.getByRole("menuitem", { name: "Soft Reboot Instance" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm Soft Reboot Instance" });
    await expect(confirm).toContainText(`"${name}"`);
    await expect(confirm).toContainText("Restarted instances will lose any data not saved in persistent storage.");
    await expectNoSeriousA11yViolations(page);
    await confirm.getByRole("button", { name: "Soft Reboot Instance" }).click();
    await expect(toast(page, `Scheduled soft reboot of Instance: "${name}"`)).toBeVisible();
    const reboot = await finishedAction(page, uuid, "reboot");
    expect(reboot.message).toBeNull();
    await expectSettled(row, "ACTIVE");

    await runAction(page, row, "Shut Off Instance", { confirm: true });
    await expectSettled(row, "SHUTOFF");
    await expect(row.getByText("Shutoff", { exact: true })).toBeVisible();

    // Horizon: a SHUTOFF instance's visible button is Start Instance.
    await expect(primary).toHaveText("Start Instance");
    await primary.click();
    await expectSettled(row, "ACTIVE");

    await runAction(page, row, "Pause Instance");
    await expectSettled(row, "PAUSED");
    await expect(primary).toHaveText("Resume Instance");
    await primary.click();
    await expectSettled(row, "ACTIVE");

    // Suspend: libvirt's test driver sometimes loses a managed save; the agent then brings the
    // instance back ACTIVE and the action log explains why. Either way the outcome is visible.
    await runAction(page, row, "Suspend Instance");
    const suspend = await finishedAction(page, uuid, "suspend");
    const afterSuspend = await getInstance(page.request, uuid);
    if (afterSuspend.status === "SUSPENDED") {
      await expectSettled(row, "SUSPENDED");
      await expect(primary).toHaveText("Resume Instance");
      await primary.click();
      await expectSettled(row, "ACTIVE");
    } else {
      await expectSettled(row, "ACTIVE");
      expect(suspend.events.some((e) => e.result === "Error" && e.details), JSON.stringify(suspend.events)).toBe(true);
    }

    // Rescue opens its form (rescue image), then ends in RESCUE; Unrescue becomes the button.
    await runAction(page, row, "Rescue Instance");
    const rescue = page.getByRole("dialog", { name: "Rescue Instance" });
    await expect(rescue.getByLabel("Rescue image")).toBeVisible();
    await rescue.getByRole("button", { name: "Rescue Instance" }).click();
    await expect(rescue).toBeHidden();
    await expectSettled(row, "RESCUE");
    await expect(primary).toHaveText("Unrescue Instance");
    await primary.click();
    await expectSettled(row, "ACTIVE");

    await runAction(page, row, "Hard Reboot Instance", { confirm: true });
    await finishedAction(page, uuid, "reboot").then(async () => {
      const actions = await listActions(page.request, uuid);
      expect(actions.filter((a) => a.action === "reboot" && a.finishTime)).toHaveLength(2);
    });
    await expectSettled(row, "ACTIVE");

    await runAction(page, row, "Delete Instance", { confirm: true });
    await expect(row).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("disabled items say why; the menu works from the keyboard", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-menu");
    const { uuid } = await createInstance(page.request, name);
    const row = instanceRow(page, name);
    await expectSettled(row, "ACTIVE", BUILD_TIMEOUT);

    const trigger = actionsOf(row).getByRole("button", { name: `More actions for ${name}` });
    await expect(trigger).toHaveAttribute("aria-haspopup", "menu");
    await trigger.focus();
    await page.keyboard.press("Enter");
    const menu = page.getByRole("menu");
    await expect(menu).toBeVisible();
    // An ACTIVE instance cannot be started: the item stays reachable and explains itself.
    const start = menu.getByRole("menuitem", { name: "Start Instance" });
    await expect(start).toHaveAttribute("aria-disabled", "true");
    await expect(start).toHaveAccessibleDescription(`Cannot 'start' instance "${name}" while it is in vm_state active`);
    await expect(menu.getByRole("menuitem", { name: "Shut Off Instance" })).not.toHaveAttribute("aria-disabled", "true");
    // Admins see Reset State.
    await expect(menu.getByRole("menuitem", { name: "Reset State" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    // Focus starts on the first item; arrows move, End jumps, Escape closes back onto the button.
    await expect(menu.getByRole("menuitem").first()).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(menu.getByRole("menuitem").nth(1)).toBeFocused();
    await page.keyboard.press("End");
    await expect(menu.getByRole("menuitem", { name: "Delete Instance" })).toBeFocused();
    await page.keyboard.press("ArrowDown");
    await expect(menu.getByRole("menuitem").first()).toBeFocused();
    // Enter on a disabled item does nothing.
    await start.focus();
    await page.keyboard.press("Enter");
    await expect(menu).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(menu).toBeHidden();
    await expect(trigger).toBeFocused();
    await expect(trigger).toHaveAttribute("aria-expanded", "false");

    // A refusal arrives as a toast in the server's (Nova's) words: the instance is shut off by
    // someone else between the click and the request reaching the API.
    await page.route("**/api/trpc/server.pause**", async (route) => {
      await trpcMutation(page.request, "server.stop", { id: uuid });
      await expect.poll(async () => (await getInstance(page.request, uuid)).status, { timeout: BUILD_TIMEOUT }).toBe("SHUTOFF");
      await route.continue();
    });
    await runAction(page, row, "Pause Instance");
    await expect(toast(page, `Cannot 'pause' instance ${uuid} while it is in vm_state stopped`)).toBeVisible();
    await page.unroute("**/api/trpc/server.pause**");
    await expectSettled(row, "SHUTOFF");

    // Reset State (admin): to Error and back to Active.
    await runAction(page, row, "Reset State");
    const reset = page.getByRole("dialog", { name: "Reset State" });
    await reset.getByRole("radio", { name: /Error/ }).check();
    await reset.getByRole("button", { name: "Reset State" }).click();
    await expectSettled(row, "ERROR");
    await runAction(page, row, "Reset State");
    await reset.getByRole("radio", { name: /Active/ }).check();
    await reset.getByRole("button", { name: "Reset State" }).click();
    await expectSettled(row, "ACTIVE");

    await deleteInstance(page.request, uuid);
  });

  test("a lock shows its icon and holds a member back, with the reason on each item", async ({ page }) => {
    test.setTimeout(120_000);
    // The demo project must end empty again (instances.spec checks its empty state).
    await logInByApi(page, "demo");
    const name = uniqueName("e2e-lock");
    const { uuid } = await createInstance(page.request, name);
    try {
      const row = instanceRow(page, name);
      await expectSettled(row, "ACTIVE", BUILD_TIMEOUT);
      // Members see no Host column and no admin-only items.
      await expect(page.getByRole("columnheader", { name: "Host" })).toHaveCount(0);

      await runAction(page, row, "Lock Instance");
      await expect(row).toHaveAttribute("data-locked", "true");
      await expect(row.getByRole("img", { name: "Locked" })).toBeVisible();
      await expect(toast(page, `Locked Instance: "${name}"`)).toBeVisible();

      // Locked: Unlock is the one thing left to do, and every other item says why not.
      const primary = actionsOf(row).locator("button[data-action]");
      await expect(primary).toHaveText("Unlock Instance");
      const menu = await openMenu(page, row);
      await expect(menu.getByRole("menuitem", { name: "Reset State" })).toHaveCount(0);
      for (const label of ["Shut Off Instance", "Soft Reboot Instance", "Pause Instance", "Delete Instance"]) {
        const item = menu.getByRole("menuitem", { name: label });
        await expect(item).toHaveAttribute("aria-disabled", "true");
        await expect(item).toHaveAccessibleDescription(`Instance "${name}" is locked`);
      }
      await expect(menu.getByText(`Instance "${name}" is locked`).first()).toBeVisible();
      await expectNoSeriousA11yViolations(page);
      await page.keyboard.press("Escape");

      // The detail page agrees, and has no Logs tab for a member.
      await row.getByRole("link", { name }).click();
      const detail = page.getByTestId("instance-detail");
      await expect(detail).toHaveAttribute("data-locked", "true");
      await expect(page.getByRole("tab", { name: "Logs" })).toHaveCount(0);
      await expect(page.getByRole("tab", { name: "Action Log" })).toBeVisible();
      await page.getByRole("tab", { name: "Action Log" }).click();
      await expect(page.getByRole("row").filter({ hasText: "Lock" }).first()).toBeVisible();
      await page.goBack();

      await runAction(page, row, "Unlock Instance");
      await expect(row).toHaveAttribute("data-locked", "false");
      await expect(row.getByRole("img", { name: "Locked" })).toHaveCount(0);
    } finally {
      await deleteInstance(page.request, uuid);
    }
  });

  test("bulk actions run per instance and list what happened to each", async ({ page }) => {
    test.setTimeout(180_000);
    await logInByApi(page, "admin");
    const base = uniqueName("e2e-bulk");
    const a = await createInstance(page.request, `${base}-a`);
    const b = await createInstance(page.request, `${base}-b`);
    const rowA = instanceRow(page, a.name);
    const rowB = instanceRow(page, b.name);
    await expectSettled(rowA, "ACTIVE", BUILD_TIMEOUT);
    await expectSettled(rowB, "ACTIVE", BUILD_TIMEOUT);
    await trpcMutation(page.request, "server.stop", { id: b.uuid });
    await expectSettled(rowB, "SHUTOFF");

    await page.getByRole("checkbox", { name: `Select ${a.name}` }).check();
    await page.getByRole("checkbox", { name: `Select ${b.name}` }).check();
    const more = page.getByRole("button", { name: "More Actions", exact: true });
    await more.click();
    // Only the running one can be shut off: the count says so, the dialog says who is skipped.
    await page.getByRole("menuitem", { name: "Shut Off Instances (1)" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm Shut Off Instances" });
    await expect(confirm).toContainText(`"${a.name}"`);
    await expect(confirm).toContainText("1 selected instance will be skipped");
    await expect(confirm).toContainText(`Cannot 'stop' instance "${b.name}" while it is in vm_state stopped`);
    await confirm.getByRole("button", { name: "Shut Off Instances" }).click();
    const results = page.getByRole("dialog", { name: "Shut Off Instances: results" });
    const list = results.getByRole("list", { name: "Result per instance" });
    await expect(list.getByRole("listitem").filter({ hasText: a.name })).toContainText("request accepted");
    await expect(list.getByRole("listitem").filter({ hasText: b.name })).toContainText("skipped");
    await expectNoSeriousA11yViolations(page);
    await results.getByRole("button", { name: "Close" }).click();
    await expectSettled(rowA, "SHUTOFF");

    // Start has no confirmation (as in Horizon): all accepted, a toast, both come up.
    await more.click();
    await page.getByRole("menuitem", { name: "Start Instances (2)" }).click();
    await expect(toast(page, "Scheduled start of Instances")).toBeVisible();
    await expectSettled(rowA, "ACTIVE");
    await expectSettled(rowB, "ACTIVE");

    // A refusal by the server (here: the second id rewritten to an instance that does not exist)
    // shows per instance next to the one that went through.
    const ghost = "00000000-0000-4000-8000-000000000000";
    await page.route("**/api/trpc/server.reboot**", async (route) => {
      const body = route.request().postData() ?? "";
      await route.continue({ postData: body.split(b.uuid).join(ghost) });
    });
    await more.click();
    await page.getByRole("menuitem", { name: "Soft Reboot Instances (2)" }).click();
    const rebootConfirm = page.getByRole("dialog", { name: "Confirm Soft Reboot Instances" });
    await rebootConfirm.getByRole("button", { name: "Soft Reboot Instances" }).click();
    const rebootResults = page.getByRole("dialog", { name: "Soft Reboot Instances: results" });
    await expect(rebootResults.getByRole("listitem").filter({ hasText: a.name })).toContainText("request accepted");
    await expect(rebootResults.getByRole("listitem").filter({ hasText: b.name })).toContainText(`could not soft reboot. Instance ${ghost} could not be found.`);
    await rebootResults.getByRole("button", { name: "Close" }).click();
    await page.unroute("**/api/trpc/server.reboot**");
    await finishedAction(page, a.uuid, "reboot");

    // Bulk delete through the same dialog.
    await page.getByRole("button", { name: "Delete Instances (2)" }).click();
    const del = page.getByRole("dialog", { name: "Confirm Delete Instances" });
    await expect(del).toContainText("Deleted instances are not recoverable.");
    await del.getByRole("button", { name: "Delete Instances" }).click();
    await expect(toast(page, "Scheduled deletion of Instances")).toBeVisible();
    await expect(rowA).toHaveCount(0, { timeout: BUILD_TIMEOUT });
    await expect(rowB).toHaveCount(0, { timeout: BUILD_TIMEOUT });
  });

  test("a task running past the deadline says how long, in a warning style", async ({ page }) => {
    test.setTimeout(120_000);
    await logInByApi(page, "admin");
    const name = uniqueName("e2e-stuck");
    const { uuid } = await createInstance(page.request, name);
    const row = instanceRow(page, name);
    await expectSettled(row, "ACTIVE", BUILD_TIMEOUT);

    // A task stuck for six minutes cannot be produced on demand; the list the page reads is
    // rewritten so this row's task started six minutes ago (the instance itself stays idle).
    const startedAt = new Date(Date.now() - 6 * 60_000).toISOString();
    await page.route("**/api/trpc/server.list**", async (route) => {
      const response = await route.fetch();
      const body: unknown = await response.json();
      // Wherever the row is in the batched answer, its object is the one carrying its uuid.
      const stick = (v: unknown): void => {
        if (Array.isArray(v)) return v.forEach(stick);
        if (typeof v !== "object" || v === null) return;
        const o = v as Record<string, unknown>;
        if (o.uuid === uuid && "taskState" in o) Object.assign(o, { taskState: "powering-off", taskStartedAt: startedAt });
        else Object.values(o).forEach(stick);
      };
      stick(body);
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await expect(row).toHaveAttribute("data-stuck", "true");
    await expect(row.getByTestId("task-overdue")).toHaveText(/in Powering Off for 6 min/);
    await expectNoSeriousA11yViolations(page);
    await page.unroute("**/api/trpc/server.list**");
    await deleteInstance(page.request, uuid);
  });
});
