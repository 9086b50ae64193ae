import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/core/common/random.ts';

describe('Rng', () => {
  it('fillU32 continues the same stream as nextU32, from any position', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let k = 0; k < 3; k++) a.nextU32();
    for (let k = 0; k < 3; k++) b.nextU32();
    const bulk = new Uint32Array(1000);
    a.fillU32(bulk, 997);
    for (let i = 0; i < 997; i++) expect(bulk[i]).toBe(b.nextU32());
    expect(bulk[997]).toBe(0);
    // The state moved on exactly as far: both generators agree afterwards.
    expect(a.next()).toBe(b.next());
  });
});
