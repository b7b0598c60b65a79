// Moves whose conductor went away. A conductor drives a live migration, a cold migration or a resize
// (and its confirm or revert) from memory; when its controller restarts or dies, the move would stay
// where it was, and the instance in its task state, until the task deadline (1 h; 48 h for a live
// migration), which knows nothing of where the guest went. A periodic pass on every controller
// finds such moves: this controller's own that nothing in this process drives (it restarted), or
// another controller's whose conductor service is down. It takes one over with a compare-and-swap
// on its conductor, so exactly one controller settles it, once the agents of both hosts are
// connected to answer (live-migration.ts and resize-recovery.ts say how each kind ends).
import { randomUUID } from "node:crypto";
import type { RequestContext } from "@/lib/agent-protocol";
import { config } from "@/server/config";
import { db, type Migration } from "@/server/db";
import { getLogger } from "@/server/logs/logger";
import { agentConnected } from "@/server/realtime/agent-rpc";
import { isUp } from "@/server/services/service-registry";
import { drivenHere } from "./driving";
import { LIVE_MIGRATION_OPEN, settleInterruptedLiveMigration } from "./live-migration";
import { COLD_MOVE_DRIVEN, settleInterruptedMove } from "./resize-recovery";

const MODULE = "stratus.conductor.move_recovery";
const CONDUCTOR_BINARY = "stratus-conductor";

/** One pass; returns how many moves it settled. */
export async function recoverMoves(controllerHost: string, now = new Date()): Promise<number> {
  const open = await db.migration.findMany({
    where: {
      OR: [
        { migrationType: "live-migration", status: { in: [...LIVE_MIGRATION_OPEN] } },
        { migrationType: { not: "live-migration" }, status: { in: [...COLD_MOVE_DRIVEN] } },
      ],
    },
    orderBy: { id: "asc" },
  });
  if (open.length === 0) return 0;
  const conductors = await db.service.findMany({ where: { binary: CONDUCTOR_BINARY } });
  const up = new Set(conductors.filter((s) => isUp(s, now.getTime())).map((s) => s.host));
  let settled = 0;
  for (const m of open) {
    const owner = m.conductorHost;
    // A move of this controller's is orphaned when nothing here drives it (a restart); one of
    // another's when that controller's conductor is down. No owner: from before owners were kept.
    const orphaned = owner === controllerHost || owner === null ? !drivenHere(m.instanceUuid) : !up.has(owner);
    if (!orphaned) continue;
    try {
      if (await adoptAndSettle(m, owner ?? "an unknown controller", controllerHost)) settled++;
    } catch (err) {
      // Kept as this controller's: the next pass tries again.
      getLogger(MODULE, { instanceUuid: m.instanceUuid }).error({ err }, `Could not settle migration ${m.id} (${m.migrationType})`);
    }
  }
  return settled;
}

async function adoptAndSettle(m: Migration, lostConductor: string, controllerHost: string): Promise<boolean> {
  const hosts = [m.sourceCompute, m.destCompute].filter((h): h is string => h !== null);
  // Where the guest is can only be asked of the agents; until both are back, the move waits.
  for (const host of hosts) if (!(await agentConnected(host))) return false;
  // The compare-and-swap: of several controllers one takes it, and a migration that moved on meanwhile is left.
  const { count } = await db.migration.updateMany({
    where: { id: m.id, status: m.status, conductorHost: m.conductorHost },
    data: { conductorHost: controllerHost },
  });
  if (count !== 1) return false;
  // The instance's latest action is the move's: its request id ties the lines together.
  const action = await db.instanceAction.findFirst({ where: { instanceUuid: m.instanceUuid }, orderBy: { id: "desc" } });
  const ctx: RequestContext = { requestId: action?.requestId ?? `req-${randomUUID()}`, userId: null, projectId: null };
  if (m.migrationType === "live-migration") await settleInterruptedLiveMigration(m, lostConductor, ctx, controllerHost);
  else await settleInterruptedMove(m, lostConductor, ctx, controllerHost);
  return true;
}

/** Runs the pass every STRATUS_TASK_DEADLINE_INTERVAL seconds; returns the stop function. */
export function startMoveRecovery(controllerHost: string): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    // One pass at a time: settling a migration waits on agents, and passes must not stack up.
    running = running.then(() => recoverMoves(controllerHost)).catch((err: unknown) =>
      getLogger(MODULE).error({ err }, "Move recovery pass failed"),
    );
  }, config.STRATUS_TASK_DEADLINE_INTERVAL * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
