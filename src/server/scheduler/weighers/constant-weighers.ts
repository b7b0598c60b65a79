// Nova's weighers that weigh every Stratus host the same, so after normalisation they add 0:
// MetricsWeigher (no [metrics] weight_setting), PCIWeigher (no PCI devices are tracked) and
// CrossCellWeigher (one cell, no cross-cell moves). They are accepted in the configuration so a
// Nova weigher list works unchanged.
import type { HostWeigher } from "./types";

export const metricsWeigher: HostWeigher = { name: "MetricsWeigher", minval: null, weigh: () => false };
export const pciWeigher: HostWeigher = { name: "PCIWeigher", minval: null, weigh: () => false };
export const crossCellWeigher: HostWeigher = { name: "CrossCellWeigher", minval: null, weigh: () => false };
