import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, WASM_DIRS } from '../../scripts/build-wasm.ts';

describe('WebAssembly kernels', () => {
  const sources = WASM_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.wat'))
      .map((f) => join(dir, f)),
  );

  it('has kernels to check', () => {
    expect(sources.map((f) => f.replace(/.*\//, '')).sort()).toEqual(['binning.wat', 'histogram.wat', 'newton.wat']);
  });

  it.each(sources)('%s matches its committed module (npm run build:wasm)', async (wat) => {
    expect(await assemble(wat)).toBe(readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8'));
  });
});
