// The dashboard side of the instance actions: which items the row menu shows and in what order,
// how each one is called, and the words around it (confirm text, toasts). Whether an action is
// allowed, its label, whether it asks for confirmation and whether it is admin-only all come from
// the one table in src/lib/instance-actions.ts — nothing here decides what is allowed.
import { ACTION_RULES, checkAction, type ActionCheck, type InstanceActionName } from "@/lib/instance-actions";
import type { InstanceView } from "@/lib/instance-view";
import type { useTRPCClient } from "@/lib/trpc/client";

type Client = ReturnType<typeof useTRPCClient>;

/** Extra input some actions take from their dialog. */
export interface ActionParams {
  rescueImageId?: string;
  resetState?: "error" | "active";
  /** Resize: the new flavor. */
  flavorId?: string;
  /** Migrate: an admin's chosen destination; absent lets the scheduler pick. */
  targetHost?: string;
}

/** How an action opens: at once, after a confirmation, or through its own form. */
export type ActionDialog = "none" | "confirm" | "rescue" | "reset_state" | "resize" | "migrate" | "live_migrate";

interface ActionUi {
  /** Calls the API; resolves when the request was accepted (the work continues on the host). */
  run: (client: Client, id: string, params: ActionParams) => Promise<{ requestId: string }>;
  /** Horizon's help_text in the confirm dialog (§2.3). */
  help?: string;
  /** The toast once accepted, for the quoted instance names ("web-1", "web-2"). */
  accepted: (names: string, plural: boolean) => string;
  /** Opens a form of its own instead of (or besides) a confirmation. */
  form?: "rescue" | "reset_state" | "resize" | "migrate" | "live_migrate";
  /** Never the row's visible button, even when it is the first allowed action. */
  notPrimary?: boolean;
}

const instances = (plural: boolean) => (plural ? "Instances" : "Instance");

/** Per action: how it is called and how it reads. Actions missing here are not offered. */
export const ACTION_UI: Partial<Record<InstanceActionName, ActionUi>> = {
  confirm_resize: {
    run: (c, id) => c.server.confirmResize.mutate({ id }),
    accepted: (n, p) => `Scheduled confirmation of the resize or migration of ${instances(p)}: ${n}`,
  },
  revert_resize: {
    run: (c, id) => c.server.revertResize.mutate({ id }),
    accepted: (n, p) => `Scheduled revert of the resize or migration of ${instances(p)}: ${n}`,
  },
  resize: {
    run: (c, id, p) => c.server.resize.mutate({ id, flavorId: p.flavorId ?? "" }),
    accepted: (n, p) => `Scheduled resize of ${instances(p)}: ${n}`,
    form: "resize",
    notPrimary: true,
  },
  migrate: {
    run: (c, id, p) => c.server.migrate.mutate({ id, ...(p.targetHost ? { host: p.targetHost } : {}) }),
    help: "Migrating instances may cause some unrecoverable results.",
    accepted: (n, p) => `Scheduled migration (pending confirmation) of ${instances(p)}: ${n}`,
    form: "migrate",
    notPrimary: true,
  },
  live_migrate: {
    run: (c, id, p) => c.server.liveMigrate.mutate({ id, ...(p.targetHost ? { host: p.targetHost } : {}) }),
    accepted: (n, p) => `Scheduled live migration of ${instances(p)}: ${n}`,
    form: "live_migrate",
    notPrimary: true,
  },
  live_migrate_force_complete: {
    run: (c, id) => c.server.liveMigrateForceComplete.mutate({ id }),
    help: "The guest is paused until the copy completes on the destination, then resumes there.",
    accepted: (n, p) => `Forcing the live migration of ${instances(p)} to complete: ${n}`,
  },
  live_migrate_abort: {
    run: (c, id) => c.server.liveMigrateAbort.mutate({ id }),
    help: "The migration stops and the instance keeps running on its current host.",
    accepted: (n, p) => `Aborting the live migration of ${instances(p)}: ${n}`,
  },
  start: {
    run: (c, id) => c.server.start.mutate({ id }),
    accepted: (n, p) => `Scheduled start of ${instances(p)}: ${n}`,
  },
  stop: {
    run: (c, id) => c.server.stop.mutate({ id }),
    help: "The instance(s) will be shut off.",
    accepted: (n, p) => `Scheduled shut off of ${instances(p)}: ${n}`,
  },
  reboot: {
    run: (c, id) => c.server.reboot.mutate({ id, type: "SOFT" }),
    help: "Restarted instances will lose any data not saved in persistent storage.",
    accepted: (n, p) => `Scheduled soft reboot of ${instances(p)}: ${n}`,
  },
  reboot_hard: {
    run: (c, id) => c.server.reboot.mutate({ id, type: "HARD" }),
    help: "Restarted instances will lose any data not saved in persistent storage.",
    accepted: (n, p) => `Scheduled hard reboot of ${instances(p)}: ${n}`,
  },
  pause: {
    run: (c, id) => c.server.pause.mutate({ id }),
    accepted: (n, p) => `Scheduled pause of ${instances(p)}: ${n}`,
  },
  unpause: {
    run: (c, id) => c.server.unpause.mutate({ id }),
    accepted: (n, p) => `Scheduled resume of ${instances(p)}: ${n}`,
  },
  suspend: {
    run: (c, id) => c.server.suspend.mutate({ id }),
    accepted: (n, p) => `Scheduled suspension of ${instances(p)}: ${n}`,
  },
  resume: {
    run: (c, id) => c.server.resume.mutate({ id }),
    accepted: (n, p) => `Scheduled resume of ${instances(p)}: ${n}`,
  },
  rescue: {
    run: (c, id, p) => c.server.rescue.mutate({ id, ...(p.rescueImageId ? { imageId: p.rescueImageId } : {}) }),
    accepted: (n, p) => `Scheduled rescue of ${instances(p)}: ${n}`,
    form: "rescue",
    // A recovery tool, not the face of a healthy instance (Horizon's ACTIVE button is Create Snapshot).
    notPrimary: true,
  },
  unrescue: {
    run: (c, id) => c.server.unrescue.mutate({ id }),
    accepted: (n, p) => `Scheduled unrescue of ${instances(p)}: ${n}`,
  },
  lock: {
    run: (c, id) => c.server.lock.mutate({ id }),
    accepted: (n, p) => `Locked ${instances(p)}: ${n}`,
  },
  unlock: {
    run: (c, id) => c.server.unlock.mutate({ id }),
    accepted: (n, p) => `Unlocked ${instances(p)}: ${n}`,
  },
  reset_state: {
    run: (c, id, p) => c.server.resetState.mutate({ id, state: p.resetState ?? "error" }),
    accepted: (n, p) => `Reset the state of ${instances(p)}: ${n}`,
    form: "reset_state",
    notPrimary: true,
  },
  delete: {
    run: (c, id) => c.server.delete.mutate({ id }),
    help: "Deleted instances are not recoverable.",
    accepted: (n, p) => `Scheduled deletion of ${instances(p)}: ${n}`,
  },
};

/** One place in the menu: an action, or a pair that flips (Pause ↔ Resume) with the instance's state. */
type MenuSlot = InstanceActionName | { forward: InstanceActionName; reverse: InstanceActionName; isReversed: (i: InstanceView) => boolean };

const flip = (forward: InstanceActionName, reverse: InstanceActionName, isReversed: (i: InstanceView) => boolean): MenuSlot => ({
  forward,
  reverse,
  isReversed,
});

/**
 * The row menu, in Horizon's row_actions order (§2.1) cut down to the actions Stratus has. The
 * first allowed slot becomes the row's visible button. A new action is one line here plus its
 * ACTION_UI entry.
 */
export const ROW_MENU: readonly MenuSlot[] = [
  "start",
  "confirm_resize",
  "revert_resize",
  flip("rescue", "unrescue", (i) => i.vmState === "rescued"),
  flip("pause", "unpause", (i) => i.vmState === "paused"),
  flip("suspend", "resume", (i) => i.vmState === "suspended"),
  "resize",
  flip("lock", "unlock", (i) => i.locked),
  "reboot",
  "reboot_hard",
  "migrate",
  "live_migrate",
  "live_migrate_force_complete",
  "live_migrate_abort",
  "stop",
  "reset_state",
  "delete",
];

export interface MenuEntry {
  action: InstanceActionName;
  label: string;
  check: ActionCheck;
  danger: boolean;
  primaryCandidate: boolean;
}

/** The menu for one instance: admin-only actions are left out for members, as Horizon's policy checks do. */
export function menuFor(instance: InstanceView, isAdmin: boolean): MenuEntry[] {
  const entries: MenuEntry[] = [];
  for (const slot of ROW_MENU) {
    const action = typeof slot === "string" ? slot : slot.isReversed(instance) ? slot.reverse : slot.forward;
    const rule = ACTION_RULES[action];
    const ui = ACTION_UI[action];
    if (!ui || (rule.adminOnly && !isAdmin)) continue;
    entries.push({
      action,
      label: rule.label,
      check: checkAction(action, instance, { isAdmin }),
      danger: rule.confirm,
      primaryCandidate: !ui.notPrimary,
    });
  }
  return entries;
}

/** The row's visible button: Horizon's "first allowed action". */
export function primaryEntry(entries: MenuEntry[]): MenuEntry | undefined {
  return entries.find((e) => e.check.allowed && e.primaryCandidate);
}

export function dialogFor(action: InstanceActionName): ActionDialog {
  const form = ACTION_UI[action]?.form;
  if (form) return form;
  return ACTION_RULES[action].confirm ? "confirm" : "none";
}

/** A refusal reads better with the instance's name than with its uuid. */
export function readableReason(reason: string, instance: { uuid: string; name: string }): string {
  return reason.split(instance.uuid).join(`"${instance.name}"`);
}

export function pluralLabel(action: InstanceActionName, plural: boolean): string {
  const label = ACTION_RULES[action].label;
  return plural && label.endsWith("Instance") ? `${label}s` : label;
}

export function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
