/**
 * Seeded pseudo-random numbers. Every random choice in training (splits, bootstrap
 * samples, feature sampling, tuning) flows through here so that the same seed gives
 * byte-identical models on any machine and any worker count.
 */

/** Mixes a 32-bit seed (SplitMix32-style) so that nearby seeds give unrelated streams. */
function mixSeed(seed: number): number {
  let z = (seed >>> 0) + 0x9e3779b9;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Derives an independent child seed, e.g. one per tree or per fold. */
export function deriveSeed(seed: number, ...path: number[]): number {
  let s = mixSeed(seed);
  for (const p of path) s = mixSeed(s ^ Math.imul(p + 1, 0x27d4eb2f));
  return s;
}

/** xoshiro128** generator: fast, 128-bit state, good statistical quality. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = mixSeed(seed);
    this.b = mixSeed(this.a ^ 0x6a09e667);
    this.c = mixSeed(this.b ^ 0xbb67ae85);
    this.d = mixSeed(this.c ^ 0x3c6ef372);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /**
   * The next `count` values of `nextU32()` into `out[0..count)`, with the state in
   * locals: several times faster than calling `nextU32` per value, same stream.
   */
  fillU32(out: Uint32Array, count: number): void {
    let { a, b, c, d } = this;
    for (let i = 0; i < count; i++) {
      out[i] = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * Moves a uniform random choice of k of `items[0..n)` to the front, in the order drawn
   * (the first k steps of a Fisher–Yates shuffle from the front).
   */
  pickFront(items: Int32Array, n: number, k: number): void {
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[] | Uint32Array | Int32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
