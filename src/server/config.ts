// Controller configuration, read once from the environment and validated: a bad value stops the
// process at start-up with a message naming the variable.
import os from "node:os";
import { z } from "zod";
import { taskStateSchema } from "@/lib/states";

const number = (fallback: number) => z.coerce.number().positive().default(fallback);

/** A JSON object of task state → seconds, e.g. {"rebooting":30}; unknown task states are refused. */
const taskDeadlines = z
  .string()
  .default("{}")
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be a JSON object like {"rebooting":30}` });
      return z.NEVER;
    }
  })
  .pipe(z.partialRecord(taskStateSchema, z.number().positive()));

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().default("0.0.0.0"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().default("file:./var/stratus.db"),
  /** The name this controller's own service rows carry (stratus-api, -scheduler, -conductor). */
  STRATUS_HOST: z.string().default(os.hostname()),
  /** Nova's report_interval: how often services heartbeat. */
  STRATUS_REPORT_INTERVAL: number(10),
  /** Nova's service_down_time: a service not heard from for this long is down. */
  STRATUS_SERVICE_DOWN_TIME: number(60),
  /** How long the controller waits for an agent to accept an RPC. */
  STRATUS_RPC_TIMEOUT: number(30),
  /** Session lifetime in hours. */
  STRATUS_SESSION_HOURS: number(12),
  STRATUS_SECURE_COOKIES: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
  /** Per-task-state deadlines in seconds, over the defaults (src/server/conductor/task-deadlines.ts). */
  STRATUS_TASK_DEADLINES: taskDeadlines,
  /** How often the controller looks for tasks past their deadline, in seconds. */
  STRATUS_TASK_DEADLINE_INTERVAL: number(30),
  /** Log records kept in the database's bounded store. */
  STRATUS_LOG_STORE_MAX: number(200_000),
  /** Where the image service keeps uploaded image files (Glance's filesystem_store_datadir). */
  STRATUS_IMAGE_DIR: z.string().min(1).default("var/images"),
  /** Largest image upload accepted, in bytes (Glance's image_size_cap, 1 TiB). */
  STRATUS_IMAGE_SIZE_CAP: z.coerce.number().int().positive().default(1024 ** 4),
});

export type Config = z.infer<typeof schema> & { serviceDownTimeMs: number; reportIntervalMs: number };

function load(): Config {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  // Nova overrides a service_down_time not above report_interval to 2.5 × report_interval.
  const downTime =
    c.STRATUS_SERVICE_DOWN_TIME <= c.STRATUS_REPORT_INTERVAL
      ? c.STRATUS_REPORT_INTERVAL * 2.5
      : c.STRATUS_SERVICE_DOWN_TIME;
  return { ...c, serviceDownTimeMs: downTime * 1000, reportIntervalMs: c.STRATUS_REPORT_INTERVAL * 1000 };
}

const globalForConfig = globalThis as unknown as { stratusConfig?: Config };
export const config: Config = (globalForConfig.stratusConfig ??= load());
