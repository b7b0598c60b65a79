// A fake controller behind the Reporter interface: it keeps one row per instance and applies
// instance updates as the real one does (a compare-and-swap on the task state), so the compute
// manager's sequence can be checked against the rules rather than a transcript.
import type { ActionEvent, InstanceUpdate, PowerReport } from "@/lib/agent-protocol";
import { AGENT_EVENTS } from "@/lib/agent-protocol";
import type { TaskState, VmState } from "@/lib/states";
import type { Delivery, OutboxEvent, OutboxPayload, Reporter } from "../../../agent/outbox";

export interface Row {
  vmState: VmState;
  taskState: TaskState | null;
  powerState: number;
  step?: string;
  progress?: number;
  fault?: string;
}

export class FakeController implements Reporter {
  readonly rows = new Map<string, Row>();
  readonly updates: (InstanceUpdate & { applied: boolean })[] = [];
  readonly events: ActionEvent[] = [];
  readonly powerReports: PowerReport[] = [];

  async send<E extends OutboxEvent>(event: E, payload: OutboxPayload<E>): Promise<Delivery> {
    await Promise.resolve();
    if (event === AGENT_EVENTS.actionEvent) this.events.push(payload as ActionEvent);
    if (event === AGENT_EVENTS.powerReport) this.powerReports.push(payload as PowerReport);
    if (event !== AGENT_EVENTS.instanceUpdate) return { ack: { ok: true }, redelivered: false };
    const u = payload as InstanceUpdate;
    const row = this.rows.get(u.uuid);
    const applied = !!row && (u.expectedTaskState === undefined || u.expectedTaskState.includes(row.taskState));
    this.updates.push({ ...u, applied });
    if (row && applied) {
      if (u.vmState !== undefined) row.vmState = u.vmState;
      if (u.taskState !== undefined) row.taskState = u.taskState;
      if (u.powerState !== undefined) row.powerState = u.powerState;
      if (u.step !== undefined) row.step = u.step;
      if (u.progress !== undefined) row.progress = u.progress;
      if (u.fault) row.fault = u.fault.message;
    }
    return { ack: { ok: true, applied }, redelivered: false };
  }

  hasPending(): boolean {
    return false;
  }

  eventsFor(uuid: string): string[] {
    return this.events.filter((e) => e.uuid === uuid).map((e) => `${e.event}:${e.phase}${e.result ? `:${e.result}` : ""}`);
  }
}
