const view = new DataView(new ArrayBuffer(4));

/**
 * The middle of the range of reals that read back as the float32 `value`. It is `value` itself,
 * except at a power of two above the smallest normal: there the float32 below is twice as close as
 * the one above, so the range reaches ulp/4 down and ulp/2 up, and its middle is ulp/8 further out.
 */
function middle(value: number): number {
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  const exponent = (bits >>> 23) & 0xff;
  if ((bits & 0x7fffff) !== 0 || exponent <= 1) return value;
  return value + Math.sign(value) * 2 ** (exponent - 150 - 3);
}

/**
 * A float32 as the shortest decimal (at most 9 significant digits) that reads back as the same
 * float32, so that 0.1 stays 0.1 and 16777216 keeps all its digits. `value` is a float32 already
 * widened to a double (readFloatBE, Float32Array); NaN, ±Infinity and ±0 come back unchanged.
 *
 * If any decimal of n digits lies in the range, the n-digit decimal nearest its middle does; and if
 * none of n digits does, none shorter does. So the digit count that works is found by bisection, and
 * 9 always works [IEEE 754-2019 5.12.2].
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const target = middle(value);
  let best: number | undefined;
  let low = 1;
  let high = 9;
  while (low < high) {
    const digits = (low + high) >>> 1;
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === value) {
      best = candidate;
      high = digits;
    } else {
      low = digits + 1;
    }
  }
  return best ?? Number(target.toPrecision(9));
}
