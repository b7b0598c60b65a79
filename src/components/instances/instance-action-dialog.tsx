"use client";
// The dialogs around instance actions, for one instance or a selection: Horizon's "Confirm <action>"
// (§2.3: the names, "Please confirm your selection.", the help text), the Rescue and Reset State
// forms, and the per-instance result list when some of a batch were refused or skipped. Each
// instance is its own API call; an instance the action table does not allow is skipped with the
// table's reason rather than sent.
import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { INPUT_CLASS } from "@/components/ui/form-field";
import { MigrateFields, ResizeFields } from "./move-fields";
import { useToast } from "@/components/ui/toaster";
import { ACTION_RULES, checkAction, type InstanceActionName } from "@/lib/instance-actions";
import type { InstanceView } from "@/lib/instance-view";
import { errorMessage, useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { ACTION_UI, dialogFor, pluralLabel, quoted, readableReason, type ActionParams } from "./action-registry";

type Client = ReturnType<typeof useTRPCClient>;

export type Outcome =
  | { uuid: string; name: string; result: "accepted"; requestId: string }
  | { uuid: string; name: string; result: "failed" | "skipped"; message: string };

/** Runs `action` on every target the action table allows, one call each, and says what became of each. */
export async function runBatch(
  client: Client,
  action: InstanceActionName,
  targets: readonly InstanceView[],
  isAdmin: boolean,
  params: ActionParams = {},
): Promise<Outcome[]> {
  const ui = ACTION_UI[action];
  return Promise.all(
    targets.map(async (t): Promise<Outcome> => {
      const check = checkAction(action, t, { isAdmin });
      if (!check.allowed) return { uuid: t.uuid, name: t.name, result: "skipped", message: readableReason(check.reason, t) };
      if (!ui) return { uuid: t.uuid, name: t.name, result: "skipped", message: "This action is not available in the dashboard." };
      try {
        const { requestId } = await ui.run(client, t.uuid, params);
        return { uuid: t.uuid, name: t.name, result: "accepted", requestId };
      } catch (error) {
        return { uuid: t.uuid, name: t.name, result: "failed", message: errorMessage(error) };
      }
    }),
  );
}

/** The toast for what was accepted; the caller shows failures its own way. */
export function acceptedMessage(action: InstanceActionName, outcomes: readonly Outcome[]): string | null {
  const names = outcomes.filter((o) => o.result === "accepted").map((o) => o.name);
  const ui = ACTION_UI[action];
  if (!names.length || !ui) return null;
  return ui.accepted(quoted(names), names.length > 1);
}

export function ResultList({ outcomes, action }: { outcomes: readonly Outcome[]; action: InstanceActionName }) {
  const verb = ACTION_RULES[action].label.replace(/ Instance$/, "").toLowerCase();
  return (
    <ul className="space-y-2 text-sm" aria-label="Result per instance">
      {outcomes.map((o) => (
        <li key={o.uuid} className="flex gap-2" data-result={o.result}>
          <span aria-hidden="true" className={o.result === "accepted" ? "text-emerald-600" : o.result === "skipped" ? "text-zinc-500" : "text-red-600"}>
            {o.result === "accepted" ? "✓" : o.result === "skipped" ? "–" : "✕"}
          </span>
          <span className="min-w-0 break-words">
            <span className="font-medium">{o.name}</span>
            {o.result === "accepted" && (
              <>
                : request accepted <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">({o.requestId})</span>
              </>
            )}
            {o.result === "skipped" && `: skipped. ${o.message}`}
            {o.result === "failed" && `: could not ${verb}. ${o.message}`}
          </span>
        </li>
      ))}
    </ul>
  );
}

export interface ActionRequest {
  action: InstanceActionName;
  targets: InstanceView[];
  /** Set when the batch already ran (an action without confirmation): the dialog shows only results. */
  outcomes?: Outcome[];
}

function RescueFields({ instance, value, onChange }: { instance: InstanceView | undefined; value: string; onChange: (v: string) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const images = useQuery(trpc.image.list.queryOptions());
  const active = (images.data ?? []).filter((i) => i.status === "active");
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-zinc-800 dark:text-zinc-200">
        Rescue image
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={INPUT_CLASS} aria-describedby={`${id}-help`}>
        <option value="">The instance&apos;s own image{instance?.imageName ? ` (${instance.imageName})` : ""}</option>
        {active
          .filter((i) => i.id !== instance?.imageId)
          .map((i) => (
            <option key={i.id} value={i.id}>
              {i.name} ({i.diskFormat})
            </option>
          ))}
      </select>
      <p id={`${id}-help`} className="text-xs text-zinc-500 dark:text-zinc-400">
        The instance boots from this image with its own disk attached as a second disk, so you can repair it. Unrescue returns it to its own disk.
      </p>
    </div>
  );
}

function ResetStateFields({ value, onChange }: { value: "error" | "active"; onChange: (v: "error" | "active") => void }) {
  const name = useId();
  const options: { v: "error" | "active"; label: string; help: string }[] = [
    { v: "error", label: "Error", help: "Marks the instance failed; it can then be deleted, rebuilt or rescued." },
    { v: "active", label: "Active", help: "Marks the instance running. Only use this when it really is." },
  ];
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">New state</legend>
      {options.map((o) => (
        <label key={o.v} className="flex items-start gap-2 text-sm">
          <input type="radio" name={name} value={o.v} checked={value === o.v} onChange={() => onChange(o.v)} className="mt-0.5 size-4 accent-indigo-600" />
          <span>
            <span className="font-medium">{o.label}</span>
            <span className="block text-xs text-zinc-600 dark:text-zinc-400">{o.help}</span>
          </span>
        </label>
      ))}
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Clears any task in progress and sets vm_state; nothing is changed on the hypervisor.
      </p>
    </fieldset>
  );
}

export function InstanceActionDialog({
  request,
  isAdmin,
  onClose,
  onAccepted,
}: {
  request: ActionRequest;
  isAdmin: boolean;
  onClose: () => void;
  /** Called with the ids whose request the API accepted. */
  onAccepted?: (action: InstanceActionName, uuids: string[]) => void;
}) {
  // Mount this per request (callers render it only while one is open), so its state starts fresh.
  const [outcomes, setOutcomes] = useState<Outcome[] | null>(request.outcomes ?? null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog open onClose={onClose} busy={busy} size="sm" title={dialogTitle(request, outcomes !== null)}>
      <ActionDialogBody
        request={request}
        isAdmin={isAdmin}
        outcomes={outcomes}
        onOutcomes={setOutcomes}
        onBusy={setBusy}
        onClose={onClose}
        onAccepted={onAccepted}
      />
    </Dialog>
  );
}

function dialogTitle(r: ActionRequest, results: boolean): string {
  const label = pluralLabel(r.action, r.targets.length > 1);
  if (results) return `${label}: results`;
  return dialogFor(r.action) === "confirm" ? `Confirm ${label}` : label;
}

function ActionDialogBody({
  request,
  isAdmin,
  outcomes,
  onOutcomes,
  onBusy,
  onClose,
  onAccepted,
}: {
  request: ActionRequest;
  isAdmin: boolean;
  outcomes: Outcome[] | null;
  onOutcomes: (o: Outcome[]) => void;
  onBusy: (busy: boolean) => void;
  onClose: () => void;
  onAccepted?: (action: InstanceActionName, uuids: string[]) => void;
}) {
  const client = useTRPCClient();
  const toast = useToast();
  const { action, targets } = request;
  const [busy, setBusyState] = useState(false);
  const setBusy = (b: boolean) => {
    setBusyState(b);
    onBusy(b);
  };
  const [rescueImageId, setRescueImageId] = useState("");
  const [resetState, setResetState] = useState<"error" | "active">("error");
  const [flavorId, setFlavorId] = useState("");
  const [targetHost, setTargetHost] = useState("");

  const plural = targets.length > 1;
  const label = pluralLabel(action, plural);
  const kind = dialogFor(action);
  const ui = ACTION_UI[action];
  const checks = targets.map((t) => ({ t, check: checkAction(action, t, { isAdmin }) }));
  const eligible = checks.filter((c) => c.check.allowed).map((c) => c.t);
  const skipped = checks.flatMap((c) => (c.check.allowed ? [] : [{ t: c.t, reason: readableReason(c.check.reason, c.t) }]));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const results = await runBatch(client, action, targets, isAdmin, {
      rescueImageId: rescueImageId || undefined,
      resetState,
      ...(flavorId ? { flavorId } : {}),
      ...(targetHost ? { targetHost } : {}),
    });
    setBusy(false);
    const accepted = results.filter((r) => r.result === "accepted");
    const message = acceptedMessage(action, results);
    if (message) toast(message);
    if (accepted.length) onAccepted?.(action, accepted.map((r) => r.uuid));
    if (accepted.length === results.length) return onClose();
    if (results.length === 1 && results[0]?.result !== "accepted") {
      // One instance: the server's refusal as a toast, as for actions without a dialog.
      const only = results[0];
      toast(only && "message" in only ? only.message : "The request failed.", "error");
      return onClose();
    }
    onOutcomes(results);
  }

  if (outcomes) {
    return (
      <div className="space-y-4">
        <ResultList outcomes={outcomes} action={action} />
        <div className="flex justify-end">
          <Button variant="primary" onClick={onClose} autoFocus>
            Close
          </Button>
        </div>
      </div>
    );
  }

  let fields: ReactNode = null;
  if (kind === "rescue") fields = <RescueFields instance={targets[0]} value={rescueImageId} onChange={setRescueImageId} />;
  if (kind === "reset_state") fields = <ResetStateFields value={resetState} onChange={setResetState} />;
  if (kind === "resize") fields = <ResizeFields instance={targets[0]} value={flavorId} onChange={setFlavorId} />;
  if (kind === "migrate" || kind === "live_migrate") fields = <MigrateFields instance={targets[0]} value={targetHost} onChange={setTargetHost} live={kind === "live_migrate"} />;
  // A resize needs its flavor; a migration to a named host only makes sense for one instance.
  const incomplete = (kind === "resize" && !flavorId) || ((kind === "migrate" || kind === "live_migrate") && targetHost !== "" && eligible.length > 1);

  return (
    <form onSubmit={(e) => void submit(e)} className="space-y-4">
      <div className="space-y-2 text-sm text-zinc-700 dark:text-zinc-300">
        <p>
          You have selected: <span className="font-medium break-words text-zinc-900 dark:text-zinc-100">{quoted(eligible.map((t) => t.name))}</span>.
          {kind === "confirm" && " Please confirm your selection."}
        </p>
        {ui?.help && <p>{ui.help}</p>}
        {skipped.length > 0 && (
          <div className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200">
            <p className="font-medium">
              {skipped.length === 1 ? "1 selected instance" : `${skipped.length} selected instances`} will be skipped:
            </p>
            <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs">
              {skipped.map((s) => (
                <li key={s.t.uuid}>{s.reason}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
      {fields}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose} disabled={busy} autoFocus>
          Cancel
        </Button>
        <Button type="submit" variant={ACTION_RULES[action].confirm ? "danger" : "primary"} disabled={busy || eligible.length === 0 || incomplete}>
          {busy ? "Sending…" : label}
        </Button>
      </div>
    </form>
  );
}
