/**
 * A soft-voting ensemble as one engine: the probability is Σ weight · member probability.
 * Each member keeps its own engine state and its own preprocessing (logistic regression the
 * linear encoding, trees the tree encoding); the ensemble's matrix is the members' encoded
 * matrices side by side, so `CreditModel.encode` → `predictProba` scores it like any engine,
 * and its attribution says which columns each member reads.
 */
import { MlopsError } from '../common/errors.ts';
import { pct, round } from '../common/format.ts';
import type { Bundle } from './bundle.ts';
import type { Attribution, Engine, EngineOptions, EngineState, FeatureMatrix } from '../engines/engine.ts';
import { ENSEMBLE_ENGINE, engineFactory } from '../engines/index.ts';
import { featureNames, transform, type PreprocessorState } from '../features/preprocess.ts';
import type { Dataset } from '../data/dataset.ts';

export interface EnsembleMemberState {
  /** The leaderboard's candidate, e.g. `gbdt #3`. */
  candidate: string;
  weight: number;
  preprocessing: PreprocessorState;
  engine: EngineState;
}

export interface EnsembleState {
  members: EnsembleMemberState[];
}

interface Member {
  state: EnsembleMemberState;
  engine: Engine;
  offset: number;
  width: number;
}

/** Columns [offset, offset + width) of X: one member's encoded matrix (no copy). */
export function memberMatrix(X: FeatureMatrix, offset: number, width: number): FeatureMatrix {
  return {
    names: X.names.slice(offset, offset + width),
    rows: X.rows,
    columns: X.columns.slice(offset, offset + width),
    categorical: X.categorical.slice(offset, offset + width),
  };
}

/** Each preprocessing's encoding of the rows, side by side: an ensemble's matrix. */
export function sideBySide(preprocessing: readonly PreprocessorState[], ds: Dataset): FeatureMatrix {
  return joined(
    preprocessing.map((p) => transform(p, ds)),
    ds.rows,
  );
}

/** Members' encodings of the same rows, side by side (no copy of the columns). */
export function joined(parts: readonly FeatureMatrix[], rows: number): FeatureMatrix {
  return {
    names: parts.flatMap((m) => m.names),
    rows,
    columns: parts.flatMap((m) => m.columns),
    categorical: parts.flatMap((m) => m.categorical),
  };
}

export const isEnsembleState = (s: EngineState): boolean => s.engine === ENSEMBLE_ENGINE;

export class EnsembleEngine implements Engine {
  readonly name = ENSEMBLE_ENGINE;
  private readonly members: Member[];

  constructor(
    private readonly state: EngineState,
    options: EngineOptions = {},
  ) {
    const s = state.state as EnsembleState;
    if (!s || !Array.isArray(s.members) || s.members.length === 0)
      throw new MlopsError('integrity', 'an ensemble bundle must list its members (engine.state.members)');
    let offset = 0;
    this.members = s.members.map((m) => {
      const width = featureNames(m.preprocessing).length;
      const member = { state: m, engine: engineFactory(m.engine.engine).fromJSON(m.engine, options), offset, width };
      offset += width;
      return member;
    });
  }

  /** Each member's preprocessing, in the order of the matrix's column blocks. */
  preprocessing(): PreprocessorState[] {
    return this.members.map((m) => m.state.preprocessing);
  }

  async fit(): Promise<void> {
    throw new Error('an ensemble is not fitted as a whole: its members are (pipeline/core/training/train.ts)');
  }

  predictProba(X: FeatureMatrix): Float64Array {
    const out = new Float64Array(X.rows);
    for (const m of this.members) {
      const p = m.engine.predictProba(memberMatrix(X, m.offset, m.width));
      const w = m.state.weight;
      for (let i = 0; i < out.length; i++) out[i] += w * p[i];
    }
    return out;
  }

  featureImportance(): Float64Array {
    const out = new Float64Array(this.members.reduce((n, m) => n + m.width, 0));
    for (const m of this.members) {
      const imp = m.engine.featureImportance();
      for (let j = 0; j < m.width; j++) out[m.offset + j] = m.state.weight * imp[j];
    }
    return out;
  }

  params(): Record<string, number | string | boolean> {
    return this.state.params;
  }

  toJSON(): EngineState {
    return this.state;
  }

  attribution(): Attribution | null {
    const members: { weight: number; offset: number; width: number; attribution: Attribution }[] = [];
    for (const m of this.members) {
      const a = m.engine.attribution();
      if (!a) return null;
      members.push({ weight: m.state.weight, offset: m.offset, width: m.width, attribution: a });
    }
    return { kind: 'weighted-sum', output: 'probability', members };
  }
}

/**
 * The engine state of an ensemble: its members, and as its parameters (what the reports,
 * the run record and MLflow show) their names and weights under two fixed keys — a
 * candidate's name ("gbdt #3") is no MLflow parameter key.
 */
export function ensembleEngineState(members: EnsembleMemberState[]): EngineState {
  return {
    engine: ENSEMBLE_ENGINE,
    params: {
      members: members.map((m) => m.candidate).join(', '),
      weights: members.map((m) => String(round(m.weight, 6))).join(', '),
    },
    state: { members } satisfies EnsembleState,
  };
}

/** An ensemble bundle's members (null for a single engine's). */
export function ensembleMembers(bundle: Bundle): { candidate: string; engine: string; weight: number }[] | null {
  if (!isEnsembleState(bundle.engine)) return null;
  return (bundle.engine.state as EnsembleState).members.map((m) => ({
    candidate: m.candidate,
    engine: m.engine.engine,
    weight: m.weight,
  }));
}

/** The engine as people read it: its name, or an ensemble's members and weights. */
export function engineLabel(bundle: Bundle): string {
  const members = ensembleMembers(bundle);
  if (!members) return bundle.engine.engine;
  return `soft-voting ensemble of ${members.map((m) => `${m.candidate} (${pct(m.weight)})`).join(', ')}`;
}
