// The Instances list's IP filter: the start of a dotted IPv4 address, so "10.0.0.1" matches
// 10.0.0.1, 10.0.0.10–19 and 10.0.0.100–199. Nova matches its `ip` filter as a regular expression
// from the start of the address (re.match); we take the text literally (a dot is a dot), which
// makes the match the same in the browser and in either database. The browser tests a string
// prefix; the database tests the few numeric ranges that prefix stands for, which an index on
// fixed_ips answers, never a LIKE, whose case and collation rules differ between SQLite and
// PostgreSQL.
import { parseIpv4 } from "./ipv4";

const OCTET = /^(0|[1-9]\d{0,2})$/;

/**
 * The address ranges (inclusive, as numbers) whose dotted form starts with `prefix`, fewest
 * possible: at most three, e.g. "10.0.2" → 10.0.2.*, 10.0.20–29.*, 10.0.200–255.*. Empty when no
 * IPv4 address starts with it.
 */
export function ipPrefixRanges(prefix: string): [number, number][] {
  if (!/^[0-9.]+$/.test(prefix)) return [];
  const parts = prefix.split(".");
  if (parts.length > 4) return [];
  const whole = parts.slice(0, -1);
  const partial = parts.at(-1)!;
  if (whole.some((p) => !OCTET.test(p) || Number(p) > 255)) return [];
  if (parts.length === 4) {
    // The last octet: an exact address, or the addresses whose last octet starts with `partial`.
    const base = parseIpv4([...whole, "0"].join("."))!;
    return runs(octetsStartingWith(partial)).map(([lo, hi]) => [base + lo, base + hi]);
  }
  // An earlier octet: every value it may take spans all the addresses below it.
  const span = 256 ** (4 - parts.length);
  const base = whole.reduce((n, p) => n * 256 + Number(p), 0) * 256 * span;
  return runs(octetsStartingWith(partial)).map(([lo, hi]) => [base + lo * span, base + (hi + 1) * span - 1]);
}

/** Whether `address` (dotted) is matched by the filter `prefix` — the browser's side of the same rule. */
export function ipMatchesPrefix(address: string, prefix: string): boolean {
  return address.startsWith(prefix);
}

/** The octet values 0–255 whose decimal form starts with `digits` (all of them for ""). */
function octetsStartingWith(digits: string): number[] {
  const out: number[] = [];
  for (let v = 0; v <= 255; v++) if (String(v).startsWith(digits)) out.push(v);
  return out;
}

/** Ascending values as runs of consecutive ones, [first, last]. */
function runs(values: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}
