// Tells dashboards that an image changed (created, saving, active, queued again, deleted), so an
// images page updates without polling. Public images concern every project; private ones only
// their owner's project and admins. Like every push, it only says what to refetch or patch.
import { UI_NAMESPACE } from "@/lib/instance-view";
import { getIo } from "@/server/realtime/io";
import { rooms } from "@/server/realtime/rooms";
import { IMAGE_CHANGED_EVENT, type ImageView } from "./image-view";

export function publishImage(view: ImageView): void {
  const ui = getIo()?.of(UI_NAMESPACE);
  if (!ui) return;
  if (view.visibility === "public") {
    ui.emit(IMAGE_CHANGED_EVENT, view);
    return;
  }
  const targets = view.ownerProjectId ? [rooms.project(view.ownerProjectId), rooms.admin] : [rooms.admin];
  ui.to(targets).emit(IMAGE_CHANGED_EVENT, view);
}
