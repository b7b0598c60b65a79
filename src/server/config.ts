// Controller configuration, read once from the environment and validated: a bad value stops the
// process at start-up with a message naming the variable.
import os from "node:os";
import { z } from "zod";
import { taskStateSchema } from "@/lib/states";
import {
  DEFAULT_FILTERS,
  FILTER_NAMES,
  isFilterName,
  isWeigherName,
  WEIGHER_MULTIPLIERS,
  WEIGHER_NAMES,
  type FilterName,
  type WeigherName,
} from "@/server/scheduler/names";

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

/**
 * A comma-separated list of scheduler filters (Nova's enabled_filters) or weighers (weight_classes),
 * in order; an unknown name stops the controller at start-up (Nova's SchedulerHostFilterNotFound).
 */
function nameList<N extends string>(what: string, known: readonly N[], isKnown: (n: string) => n is N, fallback: readonly N[]) {
  return z
    .string()
    .default(fallback.join(","))
    .transform((text, ctx): N[] => {
      const names = text
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !isKnown(n));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `unknown scheduler ${what} ${unknown.map((n) => `'${n}'`).join(", ")}; the ${what}s are ${known.join(", ")}`,
        });
        return z.NEVER;
      }
      return names as N[];
    });
}

/** STRATUS_<NOVA OPTION> for each weigher's multiplier, e.g. STRATUS_RAM_WEIGHT_MULTIPLIER. */
const multiplierVariables = Object.fromEntries(
  Object.values(WEIGHER_MULTIPLIERS).map((m) => [
    `STRATUS_${m.option.toUpperCase()}`,
    z.coerce
      .number()
      .refine(Number.isFinite, "must be a number")
      .refine((v) => m.min === undefined || v >= m.min, `must be at least ${m.min}`)
      .default(m.default),
  ]),
) as Record<string, z.ZodDefault<z.ZodNumber>>;

const schema = z.object({
  ...multiplierVariables,
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
  /**
   * Live migration completion timeout, in seconds per GiB of guest memory and copied disk, each
   * counted as at least 2 GiB (Nova's live_migration_completion_timeout); 0 waits for ever.
   */
  STRATUS_LIVE_MIGRATION_COMPLETION_TIMEOUT: z.coerce.number().int().min(0).default(800),
  /** What the timeout does: abort (the guest stays on the source) or force_complete (pause it to converge). */
  STRATUS_LIVE_MIGRATION_TIMEOUT_ACTION: z.enum(["abort", "force_complete"]).default("abort"),
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
  /**
   * Nova's resize_confirm_window: a resize or cold migration left in VERIFY_RESIZE this many
   * seconds is confirmed automatically; 0 (Nova's default) never does.
   */
  STRATUS_RESIZE_CONFIRM_WINDOW: z.coerce.number().int().nonnegative().default(0),
  /** Log records kept in the database's bounded store. */
  STRATUS_LOG_STORE_MAX: number(200_000),
  /** Where the image service keeps uploaded image files (Glance's filesystem_store_datadir). */
  STRATUS_IMAGE_DIR: z.string().min(1).default("var/images"),
  /** Largest image upload accepted, in bytes (Glance's image_size_cap, 1 TiB). */
  STRATUS_IMAGE_SIZE_CAP: z.coerce.number().int().positive().default(1024 ** 4),
  /** Scheduler filters, in order (Nova's [filter_scheduler] enabled_filters). */
  STRATUS_SCHEDULER_FILTERS: nameList("filter", FILTER_NAMES, isFilterName, DEFAULT_FILTERS),
  /** Scheduler weighers, in the order their weights are summed (Nova's weight_classes). */
  STRATUS_SCHEDULER_WEIGHERS: nameList("weigher", WEIGHER_NAMES, isWeigherName, WEIGHER_NAMES),
  /** Nova's host_subset_size: pick at random among this many best hosts. */
  STRATUS_SCHEDULER_HOST_SUBSET_SIZE: z.coerce.number().int().min(1).default(1),
  /** Nova's shuffle_best_same_weighed_hosts. */
  STRATUS_SCHEDULER_SHUFFLE_BEST_SAME_WEIGHED_HOSTS: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
  /** Nova's [scheduler] max_attempts: the selected host plus max_attempts − 1 alternates. */
  STRATUS_SCHEDULER_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  /** Nova's initial_*_allocation_ratio: the ratios a newly registered host starts with. */
  STRATUS_CPU_ALLOCATION_RATIO: number(16.0),
  STRATUS_RAM_ALLOCATION_RATIO: number(1.5),
  STRATUS_DISK_ALLOCATION_RATIO: number(1.0),
  /** Nova's default_availability_zone: the zone of hosts in no zone aggregate. */
  STRATUS_DEFAULT_AVAILABILITY_ZONE: z.string().min(1).default("nova"),
  /** The network every instance gets its fixed IP on; the seed creates it (STRATUS_DEFAULT_NETWORK_CIDR). */
  STRATUS_DEFAULT_NETWORK: z.string().trim().min(1).default("private"),
  /** Nova's image_properties_default_architecture (ImagePropertiesFilter). */
  STRATUS_IMAGE_PROPERTIES_DEFAULT_ARCHITECTURE: z.string().min(1).optional(),
});

export interface SchedulerConfig {
  filters: FilterName[];
  weighers: { name: WeigherName; multiplier: number }[];
  hostSubsetSize: number;
  shuffleBestSameWeighedHosts: boolean;
  maxAttempts: number;
  defaultAvailabilityZone: string;
  imagePropertiesDefaultArchitecture: string | null;
  serviceDownTimeMs: number;
  initialAllocationRatios: { cpu: number; ram: number; disk: number };
}

export type Config = z.infer<typeof schema> & { serviceDownTimeMs: number; reportIntervalMs: number; scheduler: SchedulerConfig };

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
  const env = c as unknown as Record<string, number>;
  const scheduler: SchedulerConfig = {
    filters: c.STRATUS_SCHEDULER_FILTERS,
    weighers: c.STRATUS_SCHEDULER_WEIGHERS.map((name) => ({
      name,
      multiplier: env[`STRATUS_${WEIGHER_MULTIPLIERS[name].option.toUpperCase()}`] ?? WEIGHER_MULTIPLIERS[name].default,
    })),
    hostSubsetSize: c.STRATUS_SCHEDULER_HOST_SUBSET_SIZE,
    shuffleBestSameWeighedHosts: c.STRATUS_SCHEDULER_SHUFFLE_BEST_SAME_WEIGHED_HOSTS,
    maxAttempts: c.STRATUS_SCHEDULER_MAX_ATTEMPTS,
    defaultAvailabilityZone: c.STRATUS_DEFAULT_AVAILABILITY_ZONE,
    imagePropertiesDefaultArchitecture: c.STRATUS_IMAGE_PROPERTIES_DEFAULT_ARCHITECTURE ?? null,
    serviceDownTimeMs: downTime * 1000,
    initialAllocationRatios: { cpu: c.STRATUS_CPU_ALLOCATION_RATIO, ram: c.STRATUS_RAM_ALLOCATION_RATIO, disk: c.STRATUS_DISK_ALLOCATION_RATIO },
  };
  return { ...c, serviceDownTimeMs: downTime * 1000, reportIntervalMs: c.STRATUS_REPORT_INTERVAL * 1000, scheduler };
}

const globalForConfig = globalThis as unknown as { stratusConfig?: Config };
export const config: Config = (globalForConfig.stratusConfig ??= load());
