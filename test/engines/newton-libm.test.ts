/**
 * The Newton kernel's own e^x and log(1 + x) against JavaScript's Math.exp and Math.log1p,
 * which they replace inside the loss: every result must be the same double (fitted
 * coefficients depend on it bit for bit), over random bit patterns of every magnitude, the
 * ranges a fit uses, and both sides of each branch's threshold.
 */
import { describe, expect, it } from 'vitest';
import { NEWTON_WASM } from '../../pipeline/core/engines/linear/wasm/newton.wasm.ts';

const { exp, log1p } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(NEWTON_WASM, 'base64')), {
  env: { memory: new WebAssembly.Memory({ initial: 1 }) },
}).exports as unknown as { exp(x: number): number; log1p(x: number): number };

const word = new Float64Array(1);
const bits = new BigUint64Array(word.buffer);
const fromBits = (b: bigint): number => ((bits[0] = b), word[0]);
const high = (hi: number): number => fromBits(BigInt(hi >>> 0) << 32n);

/** A 64-bit linear congruential generator, so every run checks the same inputs. */
function randomBits(seed: bigint): () => bigint {
  let s = seed;
  return () => (s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn);
}

/** The inputs where the wasm and Math differ, as "x: wasm vs Math" (at most five). */
function mismatches(f: (x: number) => number, g: (x: number) => number, xs: Iterable<number>): string[] {
  const out: string[] = [];
  for (const x of xs) {
    const a = f(x);
    const b = g(x);
    if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b)) && out.push(`${x}: ${a} vs ${b}`) >= 5) break;
  }
  return out;
}

function* sample(count: number, draw: () => number): Generator<number> {
  for (let i = 0; i < count; i++) yield draw();
}

/** Each threshold's double and its neighbours a few ulps either side, with both signs. */
function* around(highWords: number[]): Generator<number> {
  for (const hi of highWords) {
    word[0] = high(hi);
    const b = bits[0];
    for (let d = -4n; d <= 4n; d++) {
      const x = fromBits(b + d);
      yield x;
      yield -x;
    }
  }
}

const SPECIAL = [0, -0, 1, -1, 2, -2, Infinity, -Infinity, NaN, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE];

describe('the Newton kernel’s exp and log1p', () => {
  it('are Math.exp bit for bit', () => {
    const next = randomBits(1n);
    const rnd = randomBits(2n);
    const unit = (): number => Number(rnd() >> 11n) / 2 ** 53;
    expect(
      mismatches(
        exp,
        Math.exp,
        sample(200_000, () => fromBits(next())),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        exp,
        Math.exp,
        sample(200_000, () => 1600 * unit() - 800),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        exp,
        Math.exp,
        sample(200_000, () => -40 * unit()),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        exp,
        Math.exp,
        sample(100_000, () => 2 * unit() - 1),
      ),
    ).toEqual([]);
    // |x| = 709.78 (overflow), 745.13 (underflow), ln2 / 2, 1.5 ln2, 2^-28 and the edges of the range.
    const edges = [0x40862e42, 0x40874910, 0x3fd62e42, 0x3ff0a2b2, 0x3e300000, 0x7ff00000, 0x00100000];
    expect(mismatches(exp, Math.exp, [...around(edges), ...SPECIAL])).toEqual([]);
  });

  it('are Math.log1p bit for bit', () => {
    const next = randomBits(3n);
    const rnd = randomBits(4n);
    const unit = (): number => Number(rnd() >> 11n) / 2 ** 53;
    expect(
      mismatches(
        log1p,
        Math.log1p,
        sample(200_000, () => fromBits(next())),
      ),
    ).toEqual([]);
    // What the loss takes: e^-|x| in (0, 1], at every scale down to 2^-60.
    expect(
      mismatches(
        log1p,
        Math.log1p,
        sample(200_000, () => Math.exp(-42 * unit())),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        log1p,
        Math.log1p,
        sample(100_000, () => 2 * unit() - 1),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        log1p,
        Math.log1p,
        sample(100_000, () => 1e6 * unit()),
      ),
    ).toEqual([]);
    // sqrt(2) - 1, sqrt(2)/2 - 1 (negative), 2^-29, 2^-54, 1, the sqrt(2) split of u, 2^53.
    const edges = [0x3fda827a, 0xbfd2bec4 | 0, 0x3e200000, 0x3c900000, 0x3ff00000, 0x3ff6a09e, 0x43400000];
    expect(mismatches(log1p, Math.log1p, [...around(edges), ...SPECIAL])).toEqual([]);
  });
});
