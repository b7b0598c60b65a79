// img_hv_requested_version as Nova checks it: distutils' VersionPredicate("image_prop (<spec>)")
// satisfied by the hypervisor version written as "major.minor.micro" (oslo's
// convert_version_to_str), comparing StrictVersions. A spec that does not parse matches nothing.

interface StrictVersion {
  parts: [number, number, number];
  pre: [string, number] | null;
}

export function parseStrictVersion(text: string): StrictVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(text);
  if (!m) return null;
  return {
    parts: [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])],
    pre: m[4] ? [m[4], Number(m[5])] : null,
  };
}

function compare(a: StrictVersion, b: StrictVersion): number {
  for (let k = 0; k < 3; k++) if (a.parts[k] !== b.parts[k]) return a.parts[k]! - b.parts[k]!;
  if (!a.pre && !b.pre) return 0;
  if (!a.pre) return 1;
  if (!b.pre) return -1;
  if (a.pre[0] !== b.pre[0]) return a.pre[0] < b.pre[0] ? -1 : 1;
  return a.pre[1] - b.pre[1];
}

const OPS: Record<string, (c: number) => boolean> = {
  "<": (c) => c < 0,
  "<=": (c) => c <= 0,
  "==": (c) => c === 0,
  ">": (c) => c > 0,
  ">=": (c) => c >= 0,
  "!=": (c) => c !== 0,
};

export type VersionPredicate = (version: string) => boolean;

/** Compiles e.g. ">=6.0" or ">= 2.1, < 3.0"; null when distutils would raise. */
export function compileVersionPredicate(spec: string): VersionPredicate | null {
  const preds: [(c: number) => boolean, StrictVersion][] = [];
  for (const part of spec.split(",")) {
    const m = /^\s*(<=|>=|<|>|!=|==)\s*([^\s,]+)\s*$/.exec(part);
    if (!m) return null;
    const v = parseStrictVersion(m[2]!);
    if (!v) return null;
    preds.push([OPS[m[1]!]!, v]);
  }
  return (version) => {
    const v = parseStrictVersion(version);
    if (!v) return false;
    return preds.every(([op, want]) => op(compare(v, want)));
  };
}

const versionStrings = new Map<number, string>();

/** versionToString, remembered per packed version (hosts share a handful of versions). */
export function hypervisorVersionString(version: number): string {
  let s = versionStrings.get(version);
  if (s === undefined) {
    if (versionStrings.size > 10_000) versionStrings.clear();
    s = versionToString(version);
    versionStrings.set(version, s);
  }
  return s;
}

/** oslo_utils.versionutils.convert_version_to_str: 6002000 → "6.2.0". */
export function versionToString(version: number): string {
  const parts: string[] = [];
  let v = version;
  while (v !== 0) {
    parts.unshift(String(v % 1000));
    v = Math.floor(v / 1000);
  }
  return parts.join(".");
}
