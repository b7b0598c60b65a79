// Pushes durable changes to browsers. The database is the truth; these events only tell the
// dashboards which cached rows to replace, so a lost event is healed by the resync on reconnect.
import { UI_CONSOLE_EVENTS, type ConsoleChunkMessage } from "@/lib/agent-protocol";
import { UI_EVENTS, UI_NAMESPACE, type InstanceView, type ServiceView } from "@/lib/instance-view";
import { instanceViewFor } from "@/server/instances/member-view";
import { getIo } from "./io";
import { rooms } from "./rooms";

function ui() {
  return getIo()?.of(UI_NAMESPACE);
}

export function publishInstance(view: InstanceView): void {
  const nsp = ui();
  if (!nsp) return;
  // Admins get the whole view; the project's members what a member may see. An admin is in its
  // own project's room too, so that room's emit leaves the admins out.
  nsp.to(rooms.admin).emit(UI_EVENTS.instanceChanged, view);
  nsp.to(rooms.project(view.projectId)).except(rooms.admin).emit(UI_EVENTS.instanceChanged, instanceViewFor(view, false));
}

export function publishInstanceRemoved(uuid: string, projectId: string): void {
  ui()?.to([rooms.project(projectId), rooms.admin]).emit(UI_EVENTS.instanceRemoved, { uuid, projectId });
}

export function publishService(view: ServiceView): void {
  ui()?.to(rooms.admin).emit(UI_EVENTS.serviceChanged, view);
}

export function publishActionChanged(uuid: string, requestId: string): void {
  ui()?.to(rooms.instance(uuid)).emit(UI_EVENTS.actionChanged, { uuid, requestId });
}

export function publishMigrationChanged(uuid: string, migrationId: number): void {
  ui()?.to(rooms.instance(uuid)).emit(UI_EVENTS.migrationChanged, { uuid, migrationId });
}

/** A console chunk, to the browsers watching that instance's console (and no one else). */
export function publishConsoleChunk(chunk: ConsoleChunkMessage): void {
  ui()?.to(rooms.console(chunk.uuid)).emit(UI_CONSOLE_EVENTS.chunk, chunk);
}

/** The log store wrote a batch: following Log Viewers fetch the lines after their last one. */
export function publishLogsWritten(): void {
  ui()?.to(rooms.logs).emit(UI_EVENTS.logsWritten);
}
