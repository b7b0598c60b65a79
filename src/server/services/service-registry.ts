// Service rows (`nova service-list`): every controller service and compute agent registers and
// heartbeats here. Up/down is Nova's servicegroup DB driver: a service is up while its last report
// is within service_down_time, whichever direction the clock skewed.
import { config } from "@/server/config";
import { db, type Service } from "@/server/db";
import type { ServiceView } from "@/lib/instance-view";
import { publishService } from "@/server/realtime/publish";
import { COMPUTE_BINARY } from "@/lib/services";

export const CONTROLLER_BINARIES = ["stratus-api", "stratus-scheduler", "stratus-conductor"] as const;
export { COMPUTE_BINARY };
export const STRATUS_VERSION = "0.1.0";

export function isUp(s: Pick<Service, "lastSeenAt" | "createdAt" | "forcedDown">, now = Date.now()): boolean {
  if (s.forcedDown) return false;
  const seen = (s.lastSeenAt ?? s.createdAt).getTime();
  return Math.abs(now - seen) <= config.serviceDownTimeMs;
}

/** Compute services live in the zone of their aggregate (default "nova"); controller services in "internal". */
export function toServiceView(s: Service, zone: string, now = Date.now()): ServiceView {
  return {
    id: s.id,
    binary: s.binary,
    host: s.host,
    zone,
    status: s.disabled ? "disabled" : "enabled",
    state: isUp(s, now) ? "up" : "down",
    disabledReason: s.disabledReason,
    forcedDown: s.forcedDown,
    version: s.version,
    lastSeenAt: s.lastSeenAt?.toISOString() ?? null,
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** host → availability zone from aggregates that name one. */
export async function zonesByHost(): Promise<Map<string, string>> {
  const rows = await db.aggregateHost.findMany({ include: { aggregate: true } });
  const zones = new Map<string, string>();
  for (const r of rows) if (r.aggregate.availabilityZone) zones.set(r.host, r.aggregate.availabilityZone);
  return zones;
}

export function zoneOf(s: Pick<Service, "binary" | "host">, zones: Map<string, string>): string {
  return s.binary === COMPUTE_BINARY ? (zones.get(s.host) ?? "nova") : "internal";
}

export async function listServiceViews(): Promise<ServiceView[]> {
  const [services, zones] = await Promise.all([
    db.service.findMany({ orderBy: [{ binary: "asc" }, { host: "asc" }] }),
    zonesByHost(),
  ]);
  const now = Date.now();
  return services.map((s) => toServiceView(s, zoneOf(s, zones), now));
}

/** Records a heartbeat (Nova's _report_state) and publishes the row, so "last updated" stays live. */
export async function reportState(binary: string, host: string, pid?: number): Promise<Service> {
  const now = new Date();
  const service = await db.service.upsert({
    where: { binary_host: { binary, host } },
    create: { binary, host, topic: binary.replace("stratus-", ""), lastSeenAt: now, reportCount: 1, version: STRATUS_VERSION, pid },
    update: { lastSeenAt: now, reportCount: { increment: 1 }, version: STRATUS_VERSION, ...(pid ? { pid } : {}) },
  });
  await publishServiceRow(service);
  return service;
}

export async function publishServiceRow(service: Service): Promise<void> {
  publishService(toServiceView(service, zoneOf(service, await zonesByHost())));
}

/**
 * The controller's own services heartbeat from this process, and it watches for services whose
 * heartbeats stopped so their `down` reaches the dashboards as it happens.
 */
export function startServiceHeartbeats(host: string): () => void {
  const lastState = new Map<number, "up" | "down">();
  const beat = async () => {
    for (const binary of CONTROLLER_BINARIES) await reportState(binary, host, process.pid);
    const now = Date.now();
    for (const s of await db.service.findMany()) {
      const state = isUp(s, now) ? "up" : "down";
      const previous = lastState.get(s.id);
      lastState.set(s.id, state);
      if (previous !== undefined && previous !== state) await publishServiceRow(s);
    }
  };
  let running: Promise<void> = beat();
  const timer = setInterval(() => {
    running = running.then(beat).catch(() => undefined);
  }, Math.min(config.reportIntervalMs, config.serviceDownTimeMs / 4));
  timer.unref();
  return () => clearInterval(timer);
}
