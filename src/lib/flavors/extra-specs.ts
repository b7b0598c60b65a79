// Flavor extra specs as Nova's API accepts them (os-flavor-extra-specs): keys of at most 255
// letters, digits and "-_:. " (schemas/flavors_extraspecs.py), values of at most 255 characters.
// Like Nova's extra spec validators (nova/api/validation/extra_specs/), the values of well-known
// keys are checked where that is cheap, and `capabilities:` values must be expressions the
// scheduler's ComputeCapabilitiesFilter can evaluate. Shared by the API and the dashboard.
import { z } from "zod";

export const EXTRA_SPEC_KEY = /^[A-Za-z0-9_.: -]{1,255}$/;
export const EXTRA_SPEC_MAX = 255;

const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? null : `must be one of ${values.join(", ")}`);
const positiveInt = (v: string) => (/^[1-9]\d*$/.test(v) ? null : "must be a whole number of at least 1");
const bool = (v: string) => (/^(true|false|yes|no|1|0|on|off)$/i.test(v) ? null : "must be true or false");
// hw:mem_page_size: small, large, any, or a size such as 2048, 2MB or 1GiB.
const pageSize = (v: string) => (/^(small|large|any|\d+(?:[KMGT]i?B?)?)$/i.test(v) ? null : "must be small, large, any or a page size such as 2MB");

/** Well-known keys whose values Nova validates. */
const KNOWN_VALUES: Record<string, (v: string) => string | null> = {
  "hw:cpu_policy": oneOf("shared", "dedicated", "mixed"),
  "hw:cpu_thread_policy": oneOf("prefer", "isolate", "require"),
  "hw:emulator_threads_policy": oneOf("share", "isolate"),
  "hw:mem_page_size": pageSize,
  "hw:numa_nodes": positiveInt,
  "hw:cpu_sockets": positiveInt,
  "hw:cpu_cores": positiveInt,
  "hw:cpu_threads": positiveInt,
  "hw:cpu_max_sockets": positiveInt,
  "hw:cpu_max_cores": positiveInt,
  "hw:cpu_max_threads": positiveInt,
  "hw:watchdog_action": oneOf("none", "pause", "poweroff", "reset", "disabled"),
  "hw:boot_menu": bool,
  "hw:cpu_realtime": bool,
};

const NUMERIC_OPS = new Set(["=", "==", "!=", ">=", "<="]);
const OPERAND_OPS = new Set([...NUMERIC_OPS, "s==", "s!=", "s<", "s<=", "s>", "s>=", "<in>", "<all-in>", "<or>"]);

/** A `capabilities:` value is an operator expression (extra_specs_ops) or a plain string to equal. */
function capabilityProblem(value: string): string | null {
  const words = value.trim().split(/\s+/).filter(Boolean);
  const op = words[0];
  if (op === undefined) return "must not be empty";
  if (!OPERAND_OPS.has(op)) return null;
  if (words.length < 2) return `needs a value after "${op}"`;
  if (NUMERIC_OPS.has(op) && !Number.isFinite(Number(words[1]))) return `needs a number after "${op}"`;
  return null;
}

/** Why Nova would refuse this extra spec, or null when it is acceptable. */
export function extraSpecProblem(key: string, value: string): string | null {
  if (!EXTRA_SPEC_KEY.test(key)) return "Keys are 1 to 255 letters, digits, spaces and '_', '.', ':', '-'.";
  if (value.length > EXTRA_SPEC_MAX) return `The value of ${key} is longer than ${EXTRA_SPEC_MAX} characters.`;
  if (key.startsWith("capabilities:")) {
    if (key.length === "capabilities:".length) return "capabilities: needs a capability name, e.g. capabilities:cpu_info:arch.";
    const problem = capabilityProblem(value);
    return problem && `The value of ${key} ${problem}.`;
  }
  const check = KNOWN_VALUES[key];
  const problem = check?.(value) ?? null;
  return problem && `The value of ${key} ${problem}.`;
}

/** zod: a map of extra specs to set, each one checked. */
export const extraSpecsSchema = z
  .record(z.string(), z.string({ error: "Extra spec values must be strings." }))
  .superRefine((specs, ctx) => {
    if (Object.keys(specs).length === 0) ctx.addIssue({ code: "custom", message: "Give at least one extra spec." });
    for (const [key, value] of Object.entries(specs)) {
      const problem = extraSpecProblem(key, value);
      if (problem) ctx.addIssue({ code: "custom", message: problem, path: [key] });
    }
  });

export const extraSpecKeySchema = z.string().regex(EXTRA_SPEC_KEY, "Keys are 1 to 255 letters, digits, spaces and '_', '.', ':', '-'.");
