// The scenario format of ../shared/bench/nova_sched_bench.py (see bench/README.md there), and its
// generator ported value for value — same seed, same hosts and requests — so a run without
// --scenario-in schedules exactly what `nova_sched_bench.py` schedules with the same seed.
import { readFileSync, writeFileSync } from "node:fs";
import { PythonRandom } from "./python-random";

export const SCENARIO_FORMAT = "nova-sched-bench-scenario";

export interface WeigherConfig {
  name: string;
  option: string;
  multiplier: number;
}

export interface ScenarioConfig {
  enabled_filters: string[];
  weighers: WeigherConfig[];
  host_subset_size: number;
  shuffle_best_same_weighed_hosts: boolean;
  max_attempts: number;
  default_availability_zone: string;
  image_properties_default_architecture: string | null;
  service_down_time: number;
  allocation_ratios: { cpu: number; ram: number; disk: number };
}

export interface ScenarioHost {
  name: string;
  availability_zone: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  up: boolean;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  free_ram_mb: number;
  local_gb: number;
  local_gb_used: number;
  free_disk_gb: number;
  disk_available_least: number | null;
  hypervisor_type: string;
  hypervisor_version: number;
  cpu_info: Record<string, unknown>;
  supported_instances: string[][];
  num_instances: number;
  num_io_ops: number;
  failed_builds: number;
  instances: string[];
  allocation_ratios?: Partial<{ cpu: number; ram: number; disk: number }>;
}

export interface ScenarioGroup {
  uuid: string;
  name: string;
  policy: string;
  rules: Record<string, number | string>;
  members: string[];
  hosts: string[];
}

export interface ScenarioRequest {
  id: string;
  instance_uuids: string[];
  num_instances: number;
  project_id: string;
  flavor: {
    name: string;
    vcpus: number;
    memory_mb: number;
    root_gb: number;
    ephemeral_gb: number;
    swap: number;
    extra_specs: Record<string, string>;
  };
  image_properties: Record<string, string>;
  availability_zone: string | null;
  server_group: ScenarioGroup | null;
}

export interface Scenario {
  name: string;
  seed: number | null;
  config: ScenarioConfig;
  hosts: ScenarioHost[];
  requests: ScenarioRequest[];
}

/** Nova 26's defaults, as nova_sched_bench.py writes them into generated scenarios. */
export function defaultConfig(): ScenarioConfig {
  const w = (name: string, option: string, multiplier: number) => ({ name, option, multiplier });
  return {
    enabled_filters: [
      "AvailabilityZoneFilter",
      "ComputeFilter",
      "ComputeCapabilitiesFilter",
      "ImagePropertiesFilter",
      "ServerGroupAntiAffinityFilter",
      "ServerGroupAffinityFilter",
    ],
    weighers: [
      w("RAMWeigher", "filter_scheduler.ram_weight_multiplier", 1.0),
      w("CPUWeigher", "filter_scheduler.cpu_weight_multiplier", 1.0),
      w("DiskWeigher", "filter_scheduler.disk_weight_multiplier", 1.0),
      w("MetricsWeigher", "metrics.weight_multiplier", 1.0),
      w("IoOpsWeigher", "filter_scheduler.io_ops_weight_multiplier", -1.0),
      w("PCIWeigher", "filter_scheduler.pci_weight_multiplier", 1.0),
      w("ServerGroupSoftAffinityWeigher", "filter_scheduler.soft_affinity_weight_multiplier", 1.0),
      w("ServerGroupSoftAntiAffinityWeigher", "filter_scheduler.soft_anti_affinity_weight_multiplier", 1.0),
      w("BuildFailureWeigher", "filter_scheduler.build_failure_weight_multiplier", 1000000.0),
      w("CrossCellWeigher", "filter_scheduler.cross_cell_move_weight_multiplier", 1000000.0),
    ],
    host_subset_size: 1,
    shuffle_best_same_weighed_hosts: false,
    max_attempts: 3,
    default_availability_zone: "nova",
    image_properties_default_architecture: null,
    service_down_time: 60,
    allocation_ratios: { cpu: 16.0, ram: 1.5, disk: 1.0 },
  };
}

export function readScenarioFile(path: string): Scenario[] {
  const doc = JSON.parse(readFileSync(path, "utf8")) as { format?: string; version?: number; scenarios?: Scenario[] };
  if (doc.format !== SCENARIO_FORMAT || doc.version !== 1 || !Array.isArray(doc.scenarios)) {
    throw new Error(`${path}: not a ${SCENARIO_FORMAT} v1 file`);
  }
  for (const s of doc.scenarios) {
    s.config = { ...defaultConfig(), ...(s.config ?? {}) };
    const names = new Set(s.hosts.map((h) => h.name));
    if (names.size !== s.hosts.length) throw new Error(`${path}: duplicate host names`);
    for (const r of s.requests) {
      if ((r.num_instances ?? r.instance_uuids.length) !== r.instance_uuids.length) {
        throw new Error(`${path}: ${r.id}: num_instances != len(instance_uuids)`);
      }
    }
  }
  return doc.scenarios;
}

// ---- generation (nova_sched_bench.py's make_host / make_request, ported) --------------------

const AZS = ["az1", "az2", "az3"];
const FLAVORS: Record<string, [number, number, number, number, number, Record<string, string>]> = {
  "m1.small": [1, 2048, 20, 0, 0, {}],
  "m1.medium": [2, 4096, 40, 0, 0, {}],
  "m1.large": [4, 8192, 80, 20, 2048, {}],
  "c1.x86": [4, 8192, 40, 0, 0, { "capabilities:cpu_info:arch": "x86_64", "capabilities:hypervisor_type": "s== QEMU" }],
  "c1.big": [8, 16384, 80, 0, 0, { "capabilities:vcpus_total": ">= 64" }],
  "c1.huge": [16, 32768, 80, 0, 0, { "capabilities:vcpus_total": ">= 256" }],
};
const PLAIN = ["m1.small", "m1.medium", "m1.large"];

function flavorDict(name: string): ScenarioRequest["flavor"] {
  const [vcpus, ram, root, eph, swap, extra] = FLAVORS[name]!;
  return { name, vcpus, memory_mb: ram, root_gb: root, ephemeral_gb: eph, swap, extra_specs: { ...extra } };
}

function makeHost(i: number, rnd: PythonRandom, ratios: ScenarioConfig["allocation_ratios"]): ScenarioHost {
  const name = `cmp-${String(i).padStart(5, "0")}`;
  const vcpus = rnd.choice([32, 48, 64, 96, 128]);
  const mem = rnd.choice([128, 256, 384, 512, 768]) * 1024;
  const disk = rnd.choice([500, 1000, 2000, 4000]);
  const vcpusUsed = rnd.randint(0, vcpus * 4);
  const memUsed = rnd.randint(0, Math.trunc(mem * 0.9));
  const diskUsed = rnd.randint(0, Math.trunc(disk * 0.8));
  const least = disk - diskUsed - rnd.randint(0, 50);
  const arch = i % 20 === 19 ? "aarch64" : "x86_64";
  const disabled = i % 100 === 42;
  const host: ScenarioHost = {
    name,
    availability_zone: AZS[i % AZS.length]!,
    enabled: !disabled,
    disabled_reason: disabled ? "maintenance" : null,
    up: i % 100 !== 77,
    vcpus,
    vcpus_used: vcpusUsed,
    memory_mb: mem,
    memory_mb_used: memUsed,
    free_ram_mb: mem - memUsed,
    local_gb: disk,
    local_gb_used: diskUsed,
    free_disk_gb: disk - diskUsed,
    disk_available_least: least,
    hypervisor_type: "QEMU",
    hypervisor_version: i % 10 === 3 ? 4002000 : 6002000,
    cpu_info: {
      arch,
      model: "EPYC-Rome",
      vendor: "AMD",
      topology: { sockets: 2, cores: Math.floor(vcpus / 4), threads: 2 },
      features: ["avx2", "sse4.2", "aes"],
    },
    supported_instances: [[arch, "qemu", "hvm"]],
    num_instances: rnd.randint(0, 60),
    num_io_ops: rnd.randint(0, 3),
    failed_builds: rnd.random() < 0.02 ? 1 : 0,
    instances: [],
    allocation_ratios: { ...ratios },
  };
  const count = rnd.randint(0, 8);
  for (let k = 0; k < count; k++) host.instances.push(rnd.uuid4());
  return host;
}

function makeRequest(k: number, rnd: PythonRandom, names: string[], byName: Map<string, ScenarioHost>): ScenarioRequest {
  const r = rnd.random();
  let num = 1;
  let props: Record<string, string> = {};
  let group: ScenarioGroup | null = null;
  let fname: string;
  if (r < 0.5) {
    fname = rnd.choice(PLAIN);
    if (rnd.random() < 0.05) num = 2;
  } else if (r < 0.75) {
    fname = rnd.choice(PLAIN);
    const arch = rnd.random() < 0.2 ? "aarch64" : "x86_64";
    props = { hw_architecture: arch, img_hv_type: "qemu", hw_vm_mode: "hvm" };
    if (rnd.random() < 0.25) props.img_hv_requested_version = ">=6.0";
  } else if (r < 0.9) {
    const x = rnd.random();
    fname = x < 0.45 ? "c1.x86" : x < 0.9 ? "c1.big" : "c1.huge";
  } else {
    fname = rnd.choice(PLAIN);
    num = rnd.choice([1, 1, 2, 3]);
    const policy = rnd.choice(["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"]);
    let rules: Record<string, number> = {};
    let existing: [string, string][] = [];
    if (policy === "affinity") {
      const cnt = rnd.randint(0, 2);
      if (cnt) {
        const h = rnd.choice(names);
        for (let c = 0; c < cnt; c++) existing.push([rnd.uuid4(), h]);
      }
    } else if (policy === "anti-affinity") {
      if (rnd.random() < 0.3) rules = { max_server_per_host: 2 };
      const hs = rnd.sample(names, Math.min(rnd.randint(0, 4), names.length));
      existing = hs.map((h) => [rnd.uuid4(), h]);
      if (Object.keys(rules).length && hs.length) existing.push([rnd.uuid4(), hs[0]!]);
    } else {
      const cnt = rnd.randint(1, 5);
      for (let c = 0; c < cnt; c++) {
        const u = rnd.uuid4();
        existing.push([u, rnd.choice(names)]);
      }
    }
    for (const [u, h] of existing) byName.get(h)!.instances.push(u);
    const ghosts: string[] = [];
    for (const [, h] of existing) if (!ghosts.includes(h)) ghosts.push(h);
    group = {
      uuid: rnd.uuid4(),
      name: `sg-${String(k).padStart(5, "0")}`,
      policy,
      rules,
      members: existing.map(([u]) => u),
      hosts: ghosts,
    };
  }
  const uuids: string[] = [];
  for (let c = 0; c < num; c++) uuids.push(rnd.uuid4());
  if (group) group.members.push(...uuids);
  const az = rnd.random() < 0.05 ? rnd.choice(AZS) : null;
  return {
    id: `req-${String(k).padStart(5, "0")}`,
    instance_uuids: uuids,
    num_instances: num,
    project_id: "p1",
    flavor: flavorDict(fname),
    image_properties: props,
    availability_zone: az,
    server_group: group,
  };
}

export function generateScenario(seed: number, hosts: number, requests: number): Scenario {
  const rnd = new PythonRandom(seed);
  const config = defaultConfig();
  const hostList: ScenarioHost[] = [];
  for (let i = 0; i < hosts; i++) hostList.push(makeHost(i, rnd, config.allocation_ratios));
  const byName = new Map(hostList.map((h) => [h.name, h]));
  const names = hostList.map((h) => h.name);
  const requestList: ScenarioRequest[] = [];
  for (let k = 0; k < requests; k++) requestList.push(makeRequest(k, rnd, names, byName));
  return { name: `seed${seed}-h${hosts}-r${requests}`, seed, config, hosts: hostList, requests: requestList };
}

/** One host or request per line, like nova_sched_bench.py writes it. */
export function writeScenarioFile(path: string, scenarios: Scenario[]): void {
  const j = (v: unknown) => JSON.stringify(v);
  const parts = [`{\n"format": ${j(SCENARIO_FORMAT)},\n"version": 1,\n"scenarios": [\n`];
  scenarios.forEach((s, si) => {
    parts.push("{\n");
    for (const key of ["name", "seed", "config"] as const) parts.push(`${j(key)}: ${j(s[key])},\n`);
    parts.push(`"hosts": [\n${s.hosts.map(j).join(",\n")}\n],\n`);
    parts.push(`"requests": [\n${s.requests.map(j).join(",\n")}\n]\n`);
    parts.push(`}${si < scenarios.length - 1 ? "," : ""}\n`);
  });
  parts.push("]\n}\n");
  writeFileSync(path, parts.join(""));
}
