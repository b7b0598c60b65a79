// Nova's normalize (nova/weights.py): min-max over the list, with the weigher's minval (and maxval)
// overriding the observed ends; all values equal → all 0.

/** Normalises values[0..n) in place; returns false when they are all equal (all become 0). */
export function normalize(values: Float64Array, n: number, minval: number | null = null, maxval: number | null = null): boolean {
  if (n === 0) return false;
  let lo = minval ?? Infinity;
  let hi = maxval ?? -Infinity;
  if (minval === null || maxval === null) {
    for (let j = 0; j < n; j++) {
      const v = values[j]!;
      if (minval === null && v < lo) lo = v;
      if (maxval === null && v > hi) hi = v;
    }
  }
  if (lo === hi) {
    values.fill(0, 0, n);
    return false;
  }
  const range = hi - lo;
  for (let j = 0; j < n; j++) values[j] = (values[j]! - lo) / range;
  return true;
}
