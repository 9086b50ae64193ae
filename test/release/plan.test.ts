/** The pure parts of a release: image references, authentication challenges, desired state and the plan. */
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../pipeline/gitops/release/challenge.ts';
import { parseImageRef } from '../../pipeline/gitops/release/image-ref.ts';
import { championPin, desiredState, planRelease, type ObservedState } from '../../pipeline/gitops/release/plan.ts';
import type { HistoryEvent, RegistryFile, VersionEntry } from '../../pipeline/gitops/registry/schema.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const LABEL = 'credit-risk-gitops.model.digest';

function registry(champion: number | null, events: [HistoryEvent['event'], number][], versions = 3): RegistryFile {
  return {
    schema_version: 2,
    models: {
      'credit-default': {
        aliases: { champion, challenger: null },
        versions: Array.from(
          { length: versions },
          (_, i) => ({ version: i + 1, digest: d(String(i + 1)) }) as VersionEntry,
        ),
        history: events.map(([event, version], i) => ({ seq: i + 1, event, version }) as HistoryEvent),
      },
    },
  };
}

describe('image references', () => {
  it('need a registry host, take no tag or digest, and are lower-cased', () => {
    expect(parseImageRef('ghcr.io/Acme/Credit-Risk-GitOps')).toEqual({
      host: 'ghcr.io',
      repository: 'acme/credit-risk-gitops',
      name: 'ghcr.io/acme/credit-risk-gitops',
      baseUrl: 'https://ghcr.io',
    });
    expect(parseImageRef('127.0.0.1:5000/scoring').baseUrl).toBe('http://127.0.0.1:5000');
    expect(parseImageRef('localhost:5000/a/b').baseUrl).toBe('http://localhost:5000');
    expect(() => parseImageRef('acme/scoring')).toThrow(/names no registry host/);
    expect(() => parseImageRef('ghcr.io/acme/scoring:v1')).toThrow(/carries a tag/);
    expect(() => parseImageRef('ghcr.io/acme/scoring@sha256:00')).toThrow(/carries a digest/);
    expect(() => parseImageRef('ghcr.io/acme/-bad')).toThrow(/not a valid repository path component/);
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads quoted parameters with commas, and several challenges', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/x:pull,push", Basic realm="r"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/x:pull,push' },
      },
      { scheme: 'basic', params: { realm: 'r' } },
    ]);
    expect(parseChallenges('Bearer realm=http://t/token, error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'http://t/token', error: 'insufficient_scope' } },
    ]);
  });
});

describe('desired state', () => {
  it('is every version that has been champion, plus the champion; challengers get no image', () => {
    const reg = registry(3, [
      ['promoted', 1],
      ['rejected', 2],
      ['promoted', 3],
    ]);
    expect(desiredState(reg, 'credit-default').versions.map((v) => v.version)).toEqual([1, 3]);
    // A rollback to a version that never served makes it need an image.
    const rolled = registry(2, [
      ['promoted', 1],
      ['rolled_back', 2],
    ]);
    expect(desiredState(rolled, 'credit-default')).toMatchObject({
      champion: 2,
      versions: [{ version: 1 }, { version: 2 }],
    });
    expect(desiredState(reg, 'other')).toEqual({ model: 'other', versions: [], champion: null });
  });
});

describe('the release plan', () => {
  const reg = registry(2, [
    ['promoted', 1],
    ['promoted', 2],
  ]);
  const desired = desiredState(reg, 'credit-default');
  const img = (digest: string, model: string | null) => ({
    digest,
    labels: (model ? { [LABEL]: model } : {}) as Record<string, string>,
  });

  it('builds what is missing, then points champion at it', () => {
    const plan = planRelease('r/x', desired, new Map());
    expect(plan.actions).toEqual([
      { kind: 'build', version: 1, tag: 'v1', modelDigest: d('1') },
      { kind: 'build', version: 2, tag: 'v2', modelDigest: d('2') },
      { kind: 'retag', tag: 'champion', version: 2, from: 'v2' },
    ]);
    expect(plan.champion.state).toBe('missing');
  });

  it('has nothing to do when every image is there and champion points at the champion', () => {
    const observed: ObservedState = new Map([
      ['v1', img(d('a'), d('1'))],
      ['v2', img(d('b'), d('2'))],
      ['champion', img(d('b'), d('2'))],
    ]);
    const plan = planRelease('r/x', desired, observed);
    expect(plan.actions).toEqual([]);
    expect(plan.champion).toEqual({ version: 2, state: 'current', wantDigest: d('b'), digest: d('b'), pointsAt: 2 });
    expect(championPin(plan)).toEqual({ image: 'r/x', digest: d('b'), model: 'credit-default', version: 2 });
  });

  it('retags without building after a rollback', () => {
    const observed: ObservedState = new Map([
      ['v1', img(d('a'), d('1'))],
      ['v2', img(d('b'), d('2'))],
      ['champion', img(d('b'), d('2'))],
    ]);
    const back = desiredState(
      registry(1, [
        ['promoted', 1],
        ['promoted', 2],
        ['rolled_back', 1],
      ]),
      'credit-default',
    );
    const plan = planRelease('r/x', back, observed);
    expect(plan.actions).toEqual([{ kind: 'retag', tag: 'champion', version: 1, from: 'v1' }]);
    expect(plan.champion).toMatchObject({ state: 'stale', pointsAt: 2, wantDigest: d('a') });
  });

  it('never rebuilds a pushed tag: another model is a conflict naming both digests, no label is a warning', () => {
    const observed: ObservedState = new Map([
      ['v1', img(d('a'), d('9'))],
      ['v2', img(d('b'), null)],
    ]);
    const plan = planRelease('r/x', desired, observed);
    expect(plan.versions.map((v) => v.state)).toEqual(['conflict', 'unlabelled']);
    expect(plan.conflicts).toHaveLength(1);
    expect(plan.conflicts[0]).toContain(d('9'));
    expect(plan.conflicts[0]).toContain(d('1'));
    expect(plan.warnings[0]).toMatch(/r\/x:v2 .* has no credit-risk-gitops\.model\.digest label/);
    expect(plan.actions).toEqual([{ kind: 'retag', tag: 'champion', version: 2, from: 'v2' }]);
    expect(() => championPin(plan)).toThrow(d('9'));
  });

  it('cannot pin a champion whose image is not pushed', () => {
    expect(() => championPin(planRelease('r/x', desired, new Map()))).toThrow(
      /r\/x:v2, the image of champion credit-default v2, is not in the registry yet: run "mlops release publish" first/,
    );
  });
});
