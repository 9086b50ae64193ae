/** No import circles in product code: each module's dependencies can be read bottom-up (docs/architecture.md). */
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, sourceFiles } from './import-graph.ts';

describe('the import graph', () => {
  it('reads our imports, type-only and dynamic ones included', () => {
    const g = importGraph();
    expect(g.get('service/main.ts')).toEqual(
      expect.arrayContaining(['service/start.ts', 'service/runtime/threads.ts']),
    );
    expect(g.get('pipeline/gitops/report/card.ts')).toContain('pipeline/gitops/report/report-data.ts');
    // A circle is found when there is one.
    expect(
      importCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  it('has no circles in pipeline/, cli/, actions/ or service/', () => {
    expect(sourceFiles().length).toBeGreaterThan(150);
    expect(importCycles(importGraph())).toEqual([]);
  });
});
