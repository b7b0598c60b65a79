// The Console tab: the instance's serial console log, live (src/components/console/).
import { ConsolePanel } from "@/components/console/console-panel";

export function InstanceConsole({ uuid }: { uuid: string }) {
  return <ConsolePanel uuid={uuid} />;
}
