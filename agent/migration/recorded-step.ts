// What every migration step on a host shares: the call is checked against its schema (a bad one is
// refused with the reasons, never run), and each step is recorded as an action event that ends in
// Success with its details, or in Error with the message and traceback.
import type { z } from "zod";
import type { Ack, RequestContext } from "@/lib/agent-protocol";
import { getLogger } from "@/server/logs/logger";
import { errorMessage, MODULE, type TaskRuntime } from "../tasks/task-runtime";

/** The refusal of a call that failed its schema. */
export function invalidRpc(error: z.ZodError): Ack {
  const reason = `invalid rpc: ${error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
  getLogger(MODULE).warn(`Refused RPC: ${reason}`);
  return { ok: false, error: reason };
}

/** Runs `work` inside its action event; a failure is recorded on the event and rethrown. */
export async function recordedStep<T>(
  rt: TaskRuntime,
  ctx: RequestContext,
  uuid: string,
  event: string,
  work: () => Promise<{ result: T; details?: string }>,
): Promise<T> {
  rt.event(ctx, uuid, event, "start");
  try {
    const { result, details } = await work();
    rt.event(ctx, uuid, event, "finish", { result: "Success", ...(details ? { details } : {}) });
    return result;
  } catch (err) {
    rt.event(ctx, uuid, event, "finish", {
      result: "Error",
      details: errorMessage(err),
      ...(err instanceof Error && err.stack ? { traceback: err.stack } : {}),
    });
    throw err;
  }
}
