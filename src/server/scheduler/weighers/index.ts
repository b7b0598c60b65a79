// Every weigher by its configuration name, one module each.
import type { WeigherName } from "../names";
import { buildFailureWeigher } from "./build-failure-weigher";
import { crossCellWeigher, metricsWeigher, pciWeigher } from "./constant-weighers";
import { cpuWeigher } from "./cpu-weigher";
import { diskWeigher } from "./disk-weigher";
import { ioOpsWeigher } from "./io-ops-weigher";
import { ramWeigher } from "./ram-weigher";
import { serverGroupSoftAffinityWeigher } from "./server-group-soft-affinity-weigher";
import { serverGroupSoftAntiAffinityWeigher } from "./server-group-soft-anti-affinity-weigher";
import type { HostWeigher } from "./types";

export const WEIGHERS: Record<WeigherName, HostWeigher> = {
  RAMWeigher: ramWeigher,
  CPUWeigher: cpuWeigher,
  DiskWeigher: diskWeigher,
  MetricsWeigher: metricsWeigher,
  IoOpsWeigher: ioOpsWeigher,
  PCIWeigher: pciWeigher,
  ServerGroupSoftAffinityWeigher: serverGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher: serverGroupSoftAntiAffinityWeigher,
  BuildFailureWeigher: buildFailureWeigher,
  CrossCellWeigher: crossCellWeigher,
};

export type { HostWeigher } from "./types";
