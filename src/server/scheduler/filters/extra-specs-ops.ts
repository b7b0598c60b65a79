// Nova's extra-spec operators (nova/scheduler/filters/extra_specs_ops.py), value for value:
//   "= 4"          float(value) >= 4            "== 4" "!= 4" ">= 4" "<= 4"   numeric
//   "s== QEMU"     string equal                 "s!=" "s<" "s<=" "s>" "s>="   string order
//   "<in> avx2"    substring                    "<all-in> a b"                every word a substring
//   "<or> a <or> b" one of the words            anything else                 the whole text equals
// The value is str() of the host's capability. Where Nova's float() would raise (a non-numeric
// operand) or its <or> parsing would index past the end, the host simply does not match.
import { pyFloat, pySplit } from "../python";

export type Matcher = ((value: string) => boolean) & {
  /** For a numeric operator: the same test on a number, skipping str() and float(). */
  numeric?: (x: number) => boolean;
};

const NUMERIC: Record<string, (x: number, y: number) => boolean> = {
  "=": (x, y) => x >= y,
  "==": (x, y) => x === y,
  "!=": (x, y) => x !== y,
  ">=": (x, y) => x >= y,
  "<=": (x, y) => x <= y,
};

// Python compares str by code point; JS < on strings compares UTF-16 units, which agrees except
// across astral characters — compare by code points to be exact.
function cmp(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}

const STRING: Record<string, (x: string, y: string) => boolean> = {
  "s==": (x, y) => x === y,
  "s!=": (x, y) => x !== y,
  "s<": (x, y) => cmp(x, y) < 0,
  "s<=": (x, y) => cmp(x, y) <= 0,
  "s>": (x, y) => cmp(x, y) > 0,
  "s>=": (x, y) => cmp(x, y) >= 0,
};

function isOp(word: string): boolean {
  return word in NUMERIC || word in STRING || word === "<in>" || word === "<all-in>";
}

/** Compiles one extra-spec value into a matcher of str(capability). */
export function compileMatcher(req: string): Matcher {
  const words = pySplit(req);
  const op = words.shift();
  if (op === undefined || (op !== "<or>" && !isOp(op))) return (value) => value === req;
  if (op === "<or>") {
    // Nova pops an alternative, then a "<or>" keyword, and so on: the alternatives are the words at
    // even positions. "<or>" with nothing after it makes Nova's pop(0) raise; here it matches nothing.
    const alternatives = new Set(words.filter((_, k) => k % 2 === 0));
    return (value) => alternatives.has(value);
  }
  if (words.length === 0) return () => false;
  const operand = words[0]!;
  if (op === "<in>") return (value) => value.includes(operand);
  if (op === "<all-in>") return (value) => words.every((w) => value.includes(w));
  const str = STRING[op];
  if (str) return (value) => str(value, operand);
  const num = NUMERIC[op]!;
  const y = pyFloat(operand);
  if (y === null) return () => false;
  const m: Matcher = (value) => {
    const x = pyFloat(value);
    return x !== null && num(x, y);
  };
  m.numeric = (x) => num(x, y);
  return m;
}

const cache = new Map<string, Matcher>();

/** compileMatcher, cached by the spec text (flavors repeat). */
export function matcherFor(req: string): Matcher {
  let m = cache.get(req);
  if (!m) {
    if (cache.size > 10_000) cache.clear();
    m = compileMatcher(req);
    cache.set(req, m);
  }
  return m;
}

/** Nova's match(value, req) in one call. */
export function matches(value: string, req: string): boolean {
  return matcherFor(req)(value);
}
