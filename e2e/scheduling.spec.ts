// Placement from the dashboard: server groups and host aggregates / availability zones created
// through their pages, picked in Launch Instance, and a request that fits nowhere failing with the
// scheduler's explanation — in the row, the Overview and the action log — instead of Nova's bare
// "No valid host was found".
import { expect, test, type Page } from "@playwright/test";
import { agents } from "./fixtures/env";
import { deleteInstance, trpcMutation, trpcQuery } from "./helpers/api";
import { expectLive, expectNoSeriousA11yViolations, instanceRow, launchInstance, logIn, uniqueName } from "./helpers/dashboard";

const BUILD_TIMEOUT = 45_000;

interface ListedInstance {
  uuid: string;
  name: string;
  host: string | null;
  status: string;
}

async function instancesNamed(page: Page, prefix: string): Promise<ListedInstance[]> {
  const list = await trpcQuery<{ items: ListedInstance[] }>(page.request, "server.list", { page: 1, pageSize: 200 });
  return list.items.filter((i) => i.name.startsWith(prefix));
}

test.describe("Scheduling from the dashboard", () => {
  test.beforeEach(async ({ page }) => {
    await logIn(page, "admin");
    await expectLive(page);
  });

  test("an anti-affinity group wider than the cloud fails with the explanation, shown in the browser", async ({ page }) => {
    test.setTimeout(120_000);
    const group = uniqueName("e2e-spread");
    const name = uniqueName("e2e-novalid");

    // Create the group through its page.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Server Groups" }).click();
    await expect(page.getByRole("heading", { name: "Server Groups", level: 1 })).toBeVisible();
    await page.getByRole("button", { name: "Create Server Group" }).click();
    const create = page.getByRole("dialog", { name: "Create Server Group" });
    await create.getByLabel("Name").fill(group);
    await create.getByLabel("Policy").selectOption({ label: "Anti-affinity" });
    await create.getByRole("button", { name: "Create Server Group" }).click();
    await expect(create).toBeHidden();
    const groupRow = page.getByTestId(`server-group-row-${group}`);
    await expect(groupRow).toContainText("Anti-affinity");
    await expect(groupRow).toContainText("None");
    await expectNoSeriousA11yViolations(page);

    try {
      // One more member than there are hosts: the last finds every host taken, so the request fails as a whole.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances" }).click();
      await launchInstance(page, name, agents.length + 1, { group });
      const explanation = new RegExp(
        `No valid host was found for instance ${agents.length + 1} of ${agents.length + 1}\\. ${agents.length} hosts: ${agents.length} already hold a member of anti-affinity group ${group}\\.`,
      );
      const first = instanceRow(page, `${name}-1`);
      await expect(first).toHaveAttribute("data-status", "ERROR", { timeout: BUILD_TIMEOUT });
      await expect(first).toContainText(explanation);
      for (let i = 2; i <= agents.length + 1; i++) await expect(instanceRow(page, `${name}-${i}`)).toHaveAttribute("data-status", "ERROR");

      // The detail page: the fault in the Overview and the schedule_instances event in the Action Log.
      await first.getByRole("link", { name: `${name}-1` }).click();
      await expect(page.getByRole("heading", { name: `${name}-1`, level: 1 })).toBeVisible();
      const fault = page.getByRole("region", { name: "Fault" });
      await expect(fault).toContainText(explanation);
      await page.getByRole("tablist", { name: "Instance details" }).getByRole("tab", { name: "Action Log" }).click();
      const createRow = page.getByRole("table", { name: "Action log, newest first" }).locator('tr[data-action="create"]');
      await expect(createRow).toHaveAttribute("data-result", "Error");
      await createRow.getByRole("button", { name: /Show \d+ events? of/ }).click();
      const schedule = page.getByTestId("event-schedule_instances");
      await expect(schedule).toContainText("Error");
      await expect(schedule).toContainText(explanation);
      // The hosts the filter removed, by name (an admin sees them).
      for (const a of agents) await expect(schedule).toContainText(a.host);
      await expectNoSeriousA11yViolations(page);
    } finally {
      for (const i of await instancesNamed(page, name)) await deleteInstance(page.request, i.uuid);
      const groups = await trpcQuery<{ id: string; name: string }[]>(page.request, "serverGroup.list");
      const made = groups.find((g) => g.name === group);
      if (made) await trpcMutation(page.request, "serverGroup.delete", { id: made.id });
    }
  });

  test("an availability zone made on Host Aggregates is picked in Launch Instance and honoured", async ({ page }) => {
    test.setTimeout(120_000);
    const aggregate = uniqueName("e2e-agg");
    const zone = uniqueName("e2e-az");
    const host = agents[agents.length - 1]!.host;
    const name = uniqueName("e2e-zoned");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Host Aggregates" }).click();
    await expect(page.getByRole("heading", { name: "Host Aggregates", level: 1 })).toBeVisible();
    await page.getByRole("button", { name: "Create Host Aggregate" }).click();
    const form = page.getByRole("dialog", { name: "Create Host Aggregate" });
    await form.getByLabel("Name").fill(aggregate);
    await form.getByLabel("Availability Zone").fill(zone);
    await form.getByRole("button", { name: "Create Host Aggregate" }).click();
    await expect(form).toBeHidden();
    const row = page.getByTestId(`aggregate-row-${aggregate}`);
    await expect(row).toContainText(zone);
    await expect(row).toContainText("None");

    try {
      await row.getByRole("button", { name: `Manage Hosts: ${aggregate}` }).click();
      const hosts = page.getByRole("dialog", { name: `Manage Hosts of ${aggregate}` });
      await hosts.getByRole("button", { name: `Add host ${host}` }).click();
      await expect(hosts.getByRole("button", { name: `Remove host ${host}` })).toBeVisible();
      await expectNoSeriousA11yViolations(page);
      await hosts.getByRole("button", { name: "Done" }).click();
      await expect(row).toContainText(host);

      // An aggregate with a host cannot be deleted; the menu says why.
      await row.getByRole("button", { name: `More actions for ${aggregate}` }).click();
      const del = page.getByRole("menu").getByRole("menuitem", { name: /Delete Host Aggregate/ });
      await expect(del).toHaveAttribute("aria-disabled", "true");
      await expect(del).toContainText("Remove its hosts first.");
      await page.keyboard.press("Escape");

      // Availability Zones lists the zone with its host.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Availability Zones" }).click();
      await expect(page.getByTestId(`zone-row-${zone}`)).toContainText(host);
      await expectNoSeriousA11yViolations(page);

      // Launch into the zone: the instance lands on its only host.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances" }).click();
      await launchInstance(page, name, 1, { zone });
      const instance = instanceRow(page, name);
      await expect(instance).toHaveAttribute("data-status", "ACTIVE", { timeout: BUILD_TIMEOUT });
      await expect(instance).toContainText(host);
      const [launched] = await instancesNamed(page, name);
      expect(await trpcQuery<{ availabilityZone: string | null }>(page.request, "server.get", { id: launched!.uuid })).toMatchObject({ availabilityZone: zone });
    } finally {
      for (const i of await instancesNamed(page, name)) await deleteInstance(page.request, i.uuid);
      const list = await trpcQuery<{ id: number; name: string; hosts: string[] }[]>(page.request, "aggregate.list");
      const made = list.find((a) => a.name === aggregate);
      if (made) {
        for (const h of made.hosts) await trpcMutation(page.request, "aggregate.removeHost", { id: made.id, host: h });
        await trpcMutation(page.request, "aggregate.delete", { id: made.id });
      }
    }
  });
});
