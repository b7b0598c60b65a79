// Compare-and-swap writes of an instance's state, like Nova's instance.save(expected_task_state=...):
// the update lands only if the task state is still one the writer expected, so two operations can
// never both own one instance.
import { db, type Prisma } from "@/server/db";
import { loadInstanceView } from "@/server/instances/instance-view";
import { publishInstance } from "@/server/realtime/publish";

export type ExpectedTaskState = ReadonlyArray<string | null>;

export function taskStateWhere(expected: ExpectedTaskState): Prisma.InstanceWhereInput {
  const values = expected.filter((t): t is string => t !== null);
  const or: Prisma.InstanceWhereInput[] = [];
  if (values.length) or.push({ taskState: { in: values } });
  if (expected.includes(null)) or.push({ taskState: null });
  return { OR: or };
}

/**
 * Applies `data` when the row's task_state is in `expected` (omit it for an unconditional write)
 * and it matches `guard` (e.g. the vm_states an action allows). Returns whether it applied; on
 * success the new row is pushed to the dashboards.
 */
export async function saveInstance(
  uuid: string,
  data: Prisma.InstanceUpdateManyMutationInput,
  expected?: ExpectedTaskState,
  guard: Prisma.InstanceWhereInput = {},
): Promise<boolean> {
  const patch = { ...data };
  // Entering a new task starts its clock (task deadlines read taskStartedAt).
  if (data.taskState !== undefined) patch.taskStartedAt = data.taskState === null ? null : new Date();
  const where: Prisma.InstanceWhereInput = { AND: [guard, { uuid, deletedAt: null, ...(expected ? taskStateWhere(expected) : {}) }] };
  const { count } = await db.instance.updateMany({ where, data: patch });
  if (count === 1) await publishInstanceView(uuid);
  return count === 1;
}

export async function publishInstanceView(uuid: string): Promise<void> {
  const view = await loadInstanceView(uuid);
  if (view) publishInstance(view);
}

export async function addFault(uuid: string, fault: { code: number; message: string; details?: string; host?: string | null }): Promise<void> {
  await db.instanceFault.create({
    data: {
      instanceUuid: uuid,
      code: fault.code,
      message: fault.message.slice(0, 255),
      details: fault.details ?? null,
      host: fault.host ?? null,
    },
  });
}
