// Setup for bench:ui, not part of what it measures: COUNT instance rows written straight into the
// controller's SQLite database with createMany, spread over flavors, states, zones, hosts and a
// month of creation times the way a busy project's would be, each with a fixed IP on the seeded
// default network except the ERROR ones (a failed build holds none). Their hosts have no agent, so
// no agent reconciles them; they are rows to list, not guests.
import { randomUUID } from "node:crypto";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/generated/sqlite/client";
import { ipv4CidrSchema } from "@/lib/ipv4";

const STATES: { vmState: string; powerState: number; weight: number }[] = [
  { vmState: "active", powerState: 1, weight: 80 },
  { vmState: "stopped", powerState: 4, weight: 12 },
  { vmState: "paused", powerState: 3, weight: 4 },
  { vmState: "error", powerState: 0, weight: 4 },
];
const ZONES = ["nova", "az-east", "az-west"];
const HOSTS = 20;
const MONTH_MS = 30 * 24 * 3600 * 1000;

/** A deterministic pseudo-random sequence, so two runs list the same rows. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pickState(r: number): (typeof STATES)[number] {
  let at = r * STATES.reduce((a, s) => a + s.weight, 0);
  for (const s of STATES) {
    if (at < s.weight) return s;
    at -= s.weight;
  }
  return STATES[0]!;
}

export interface SeededProject {
  projectId: string;
  userId: string;
  flavorNames: string[];
}

export async function insertInstanceRows(databaseUrl: string, username: string, count: number): Promise<SeededProject> {
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: databaseUrl }) });
  try {
    const user = await db.user.findUniqueOrThrow({ where: { username }, include: { memberships: { include: { project: true } } } });
    const membership = user.memberships.find((m) => m.project.name === username) ?? user.memberships[0];
    if (!membership) throw new Error(`${username} belongs to no project`);
    const [flavors, image, network] = await Promise.all([
      db.flavor.findMany(),
      db.image.findFirstOrThrow(),
      db.network.findUniqueOrThrow({ where: { name: "private" } }), // the seed's default
    ]);
    const random = lcg(42);
    const now = Date.now();
    const rows = Array.from({ length: count }, (_, i) => {
      const flavor = flavors[Math.floor(random() * flavors.length)]!;
      const state = pickState(random());
      const createdAt = new Date(now - MONTH_MS - 60_000 + Math.floor(random() * MONTH_MS));
      return {
        uuid: randomUUID(),
        displayName: `vm-${String(i).padStart(5, "0")}-${["web", "db", "cache", "batch"][i % 4]}`,
        projectId: membership.projectId,
        userId: user.id,
        flavorId: flavor.id,
        imageId: image.id,
        vcpus: flavor.vcpus,
        memoryMb: flavor.memoryMb,
        rootGb: flavor.rootGb,
        vmState: state.vmState,
        powerState: state.powerState,
        host: `rack-${String(1 + Math.floor(random() * HOSTS)).padStart(2, "0")}`,
        node: null,
        availabilityZone: ZONES[Math.floor(random() * ZONES.length)]!,
        launchedAt: createdAt,
        createdAt,
        updatedAt: new Date(createdAt.getTime() + Math.floor(random() * (now - createdAt.getTime() - 60_000))),
      };
    });
    // Addresses from the start of the pool in row order; MACs fa:16:3e plus the address's low bits.
    const { poolStart } = ipv4CidrSchema.parse(network.cidr);
    const fixedIps = rows
      .filter((r) => r.vmState !== "error")
      .map((r, k) => ({
        networkId: network.id,
        address: BigInt(poolStart + k),
        macAddress: `fa:16:3e:${[16, 8, 0].map((shift) => (((poolStart + k) >>> shift) & 255).toString(16).padStart(2, "0")).join(":")}`,
        instanceUuid: r.uuid,
      }));
    for (let i = 0; i < rows.length; i += 1000) await db.instance.createMany({ data: rows.slice(i, i + 1000) });
    for (let i = 0; i < fixedIps.length; i += 1000) await db.fixedIp.createMany({ data: fixedIps.slice(i, i + 1000) });
    return { projectId: membership.projectId, userId: user.id, flavorNames: flavors.map((f) => f.name) };
  } finally {
    await db.$disconnect();
  }
}
