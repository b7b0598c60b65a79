// Python's text forms, where Nova's semantics depend on them: ComputeCapabilitiesFilter matches
// str(value) of a host attribute, float() parses operands, and Nova stores cpu_info as json.dumps.
// Values come from JSON, so an integral number is an int (JSON cannot tell 2 from 2.0); attributes
// Nova holds as floats (allocation ratios) are wrapped in PyFloat by the caller.

/** A number Python holds as a float: str() prints it as `16.0`, not `16`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Python's repr of a float: shortest round-trip digits, `.0` on integral values, e-notation outside [1e-4, 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    const s = String(x);
    if (s.includes("e")) return x.toFixed(20).replace(/0+$/, "").replace(/\.$/, ".0");
    return s.includes(".") ? s : `${s}.0`;
  }
  // e-notation: JS gives 1e-7 / 1.5e+21, Python gives 1e-07 / 1.5e+21.
  const [mantissa, exponent] = x.toExponential().split("e") as [string, string];
  const sign = exponent.startsWith("-") ? "-" : "+";
  const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `${mantissa}e${sign}${digits}`;
}

/** Python's repr of a str: single quotes unless the text holds a single quote and no double quote. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a value inside a container. */
export function pyRepr(v: unknown): string {
  return typeof v === "string" ? pyStrRepr(v) : pyStr(v);
}

/** str() of a value as Python would hold it after json.loads (or as a HostState attribute). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  }
  return String(v);
}

// Digits may be grouped by single underscores (PEP 515).
const DIGITS = "\\d(?:_?\\d)*";
const PY_FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
const PY_INF = /^[+-]?(inf|infinity)$/i;
const PY_NAN = /^[+-]?nan$/i;

/** Python's float(text); null where Python raises ValueError. */
export function pyFloat(text: string): number | null {
  const s = text.trim();
  if (PY_FLOAT.test(s)) return Number(s.includes("_") ? s.replace(/_/g, "") : s);
  if (PY_INF.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (PY_NAN.test(s)) return NaN;
  return null;
}

/** Python's str.isspace(): JS whitespace plus the information separators U+001C..U+001F and U+0085. */
function isPySpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c >= 0x1c && c <= 0x1f) || c === 0x85 || /\s/.test(ch);
}

/** Python's str.split() with no argument: runs of whitespace, no empty words. */
export function pySplit(text: string): string[] {
  const words: string[] = [];
  let word = "";
  for (const ch of text) {
    if (isPySpace(ch)) {
      if (word) words.push(word);
      word = "";
    } else {
      word += ch;
    }
  }
  if (word) words.push(word);
  return words;
}

/** json.dumps with Python's defaults (", " and ": " separators, ASCII only). */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === "string") {
    return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyJsonDumps(k)}: ${pyJsonDumps(x)}`)
    .join(", ")}}`;
}
