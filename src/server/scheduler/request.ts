// What one scheduling request asks for (Nova's RequestSpec, reduced to what the filters and
// weighers read) and the server group it belongs to, whose placement grows as a multi-create
// places its instances one after another.
import type { Consumption } from "./host-table";

export const SERVER_GROUP_POLICIES = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"] as const;
export type ServerGroupPolicy = (typeof SERVER_GROUP_POLICIES)[number];

export interface FlavorSpec {
  name?: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Readonly<Record<string, string>>;
}

/**
 * A server group with where its members are: `counts` is how many members each host index holds
 * (Nova's host.instances ∩ group.members) and `hosts` the hosts of the members (Nova's
 * instance_group.hosts, which the affinity filter reads).
 */
export class GroupPlacement {
  readonly counts = new Map<number, number>();
  readonly hosts = new Set<number>();
  /**
   * The host the instance being placed already runs on (-1: none). Nova's anti-affinity filter
   * lets that host pass: a move's source, or the last instance of a multi-create when alternates
   * are chosen after it was placed.
   */
  currentHost = -1;

  constructor(
    readonly name: string,
    readonly policy: ServerGroupPolicy,
    readonly maxServerPerHost: number = 1,
  ) {}

  /** A member on host `i`. `addHost` false: count it without adding the host to `hosts`. */
  add(i: number, addHost = true): void {
    this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    if (addHost) this.hosts.add(i);
  }

  remove(i: number): void {
    const n = (this.counts.get(i) ?? 0) - 1;
    if (n > 0) this.counts.set(i, n);
    else this.counts.delete(i);
  }

  count(i: number): number {
    return this.counts.get(i) ?? 0;
  }
}

export interface SchedulingRequest {
  /** One per instance of a multi-create, in order. */
  instanceUuids: readonly string[];
  flavor: FlavorSpec;
  /** Image properties (Glance's legacy names are accepted too: architecture, hypervisor_type, vm_mode). */
  image: Readonly<Record<string, string>>;
  availabilityZone: string | null;
  group: GroupPlacement | null;
  /** Clock for ComputeFilter's up/down check (epoch ms). */
  now: number;
  /** Host indices never to consider (Nova's ignore_hosts): hosts whose claims were refused. */
  ignoreHosts?: ReadonlySet<number>;
}

/** What an instance of this flavor takes from a host. */
export function consumptionOf(f: FlavorSpec): Consumption {
  return {
    vcpus: f.vcpus,
    memoryMb: f.memoryMb,
    diskGb: f.rootGb + f.ephemeralGb + Math.ceil(f.swapMb / 1024),
    freeDiskMb: (f.rootGb + f.ephemeralGb) * 1024,
  };
}
