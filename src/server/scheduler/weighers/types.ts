// The shape of a scheduler weigher (nova/weights.py). A weigher writes the raw weight of every
// candidate; the scheduler clamps them to the weigher's minval, normalises them over the candidates
// with min-max normalisation and adds multiplier × normalised to each host's weight.
import type { HostTable } from "../host-table";
import type { WeigherName } from "../names";
import type { SchedulingRequest } from "../request";

export interface HostWeigher {
  readonly name: WeigherName;
  /** Nova's minval: raw weights are raised to it and it is the low end of normalisation. */
  readonly minval: number | null;
  /** Nova's BuildFailureWeigher negates its multiplier. */
  readonly negateMultiplier?: boolean;
  /**
   * Writes the raw weights of cands[0..n) to out[0..n); false when every host weighs the same
   * (Nova then normalises all to 0, so the weigher adds nothing and is skipped).
   */
  weigh(req: SchedulingRequest, t: HostTable, cands: Int32Array, n: number, out: Float64Array): boolean;
}
