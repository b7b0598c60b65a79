"use client";
// An instance's actions, as Horizon lays them out: the first allowed action as a visible button,
// everything else in a dropdown menu. Every item is enabled or disabled by the shared action table
// and a disabled one says why. Actions with a confirmation or a form open their dialog; the others
// run at once. Refusals come back as toasts with the server's own words; the state change itself
// arrives over the live channel.
import { useState } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { Button } from "@/components/ui/button";
import { MenuButton, type MenuItem } from "@/components/ui/menu";
import { useToast } from "@/components/ui/toaster";
import type { InstanceActionName } from "@/lib/instance-actions";
import type { InstanceView } from "@/lib/instance-view";
import { errorMessage, useTRPCClient } from "@/lib/trpc/client";
import { ACTION_UI, dialogFor, menuFor, primaryEntry, quoted, readableReason, type MenuEntry } from "./action-registry";
import { InstanceActionDialog } from "./instance-action-dialog";

export function InstanceActions({
  instance,
  size = "sm",
  onAccepted,
}: {
  instance: InstanceView;
  size?: "sm" | "md";
  /** Told which action the API accepted (the detail page leaves after a delete). */
  onAccepted?: (action: InstanceActionName) => void;
}) {
  const { isAdmin } = useSession();
  const client = useTRPCClient();
  const toast = useToast();
  const [dialogAction, setDialogAction] = useState<InstanceActionName | null>(null);
  const [sending, setSending] = useState<InstanceActionName | null>(null);

  const entries = menuFor(instance, isAdmin);
  const primary = primaryEntry(entries);
  const rest = entries.filter((e) => e !== primary);

  async function runNow(action: InstanceActionName) {
    const ui = ACTION_UI[action];
    if (!ui) return;
    setSending(action);
    try {
      await ui.run(client, instance.uuid, {});
      toast(ui.accepted(quoted([instance.name]), false));
      onAccepted?.(action);
    } catch (error) {
      toast(errorMessage(error), "error");
    } finally {
      setSending(null);
    }
  }

  function choose(entry: MenuEntry) {
    if (!entry.check.allowed) return;
    if (dialogFor(entry.action) === "none") void runNow(entry.action);
    else setDialogAction(entry.action);
  }

  const items: MenuItem[] = rest.map((e) => ({
    key: e.action,
    label: e.label,
    danger: e.danger,
    disabled: !e.check.allowed || sending !== null,
    reason: !e.check.allowed ? readableReason(e.check.reason, instance) : sending ? "Another request for this instance is being sent." : undefined,
    onSelect: () => choose(e),
  }));

  const compact = size === "sm";
  return (
    <div className="inline-flex items-center justify-end gap-1" data-testid="instance-actions">
      {primary && (
        <Button
          size={size}
          variant={primary.danger ? "danger-outline" : "secondary"}
          onClick={() => choose(primary)}
          disabled={sending !== null}
          aria-label={compact ? `${primary.label}: ${instance.name}` : undefined}
          data-action={primary.action}
        >
          {sending === primary.action ? "Sending…" : primary.label}
        </Button>
      )}
      <MenuButton
        size={size}
        ariaLabel={`${primary ? "More actions" : "Actions"} for ${instance.name}`}
        label={
          <>
            {!compact && <span>{primary ? "More" : "Actions"}</span>}
            <span aria-hidden="true">▾</span>
          </>
        }
        items={items}
      />
      {/* Mounted only while open: a page of rows does not carry a closed dialog each. */}
      {dialogAction && (
        <InstanceActionDialog
          request={{ action: dialogAction, targets: [instance] }}
          isAdmin={isAdmin}
          onClose={() => setDialogAction(null)}
          onAccepted={(action) => onAccepted?.(action)}
        />
      )}
    </div>
  );
}
