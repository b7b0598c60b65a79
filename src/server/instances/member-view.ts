// What a member (not an admin) may see of an instance and its action log, as Nova's policies have
// it: no host names (OS-EXT-SRV-ATTR:host, event hosts), a fault's details only when the fault is
// not an internal error (code 500), and no tracebacks. The instance's addresses stay: Nova shows
// the owner its `addresses`. Applied on the server, for the API and the live channel alike, so the
// browser never receives what the page would only hide.
import type { InstanceView } from "@/lib/instance-view";

export function instanceViewFor(view: InstanceView, isAdmin: boolean): InstanceView {
  if (isAdmin) return view;
  const fault = view.fault && view.fault.code === 500 ? { ...view.fault, details: null } : view.fault;
  return { ...view, host: null, fault };
}

export interface ActionEventView {
  event: string;
  result: string | null;
  host: string | null;
  details: string | null;
  traceback: string | null;
}

/**
 * A member sees an event's result and, for a failed one, the first line of its details: the error
 * message (NoValidHost's explanation reads in counts and reasons there; the lines after it name
 * hosts). Successful events' details name hosts and are left out.
 */
export function actionEventFor<E extends ActionEventView>(e: E, isAdmin: boolean): E {
  if (isAdmin) return e;
  const details = e.result === "Error" && e.details ? (e.details.split("\n", 1)[0] ?? null) : null;
  return { ...e, host: null, traceback: null, details };
}
