/**
 * A loaded model: the bundle's preprocessing and engine joined into one scoring
 * object. The CLI, the service and the actions all score through this class, so the
 * same applicant gets the same probability everywhere.
 */
import type { Bundle } from './bundle.ts';
import { readBundle } from './bundle.ts';
import type { Dataset } from '../data/dataset.ts';
import { recordsToDataset } from '../data/dataset.ts';
import type { Engine, EngineOptions, FeatureMatrix } from '../engines/engine.ts';
import { engineFactory } from '../engines/index.ts';
import { featureSources, transform, type PreprocessorState } from '../features/preprocess.ts';
import { EnsembleEngine, isEnsembleState, sideBySide } from './ensemble.ts';

export class CreditModel {
  readonly engine: Engine;
  /** The encodings the engine reads, side by side: one, or an ensemble's members' in order. */
  readonly preprocessing: readonly PreprocessorState[];

  /** `options.scoring`: whether large batches may be shared with helper threads (default: up to three). */
  constructor(
    readonly bundle: Bundle,
    readonly options: EngineOptions = {},
  ) {
    if (isEnsembleState(bundle.engine)) {
      const ensemble = new EnsembleEngine(bundle.engine, options);
      this.engine = ensemble;
      this.preprocessing = ensemble.preprocessing();
    } else {
      this.engine = engineFactory(bundle.engine.engine).fromJSON(bundle.engine, options);
      this.preprocessing = [bundle.preprocessing!];
    }
  }

  static load(path: string, options: EngineOptions = {}): CreditModel {
    return new CreditModel(readBundle(path), options);
  }

  get threshold(): number {
    return this.bundle.threshold;
  }

  encode(ds: Dataset): FeatureMatrix {
    return this.preprocessing.length === 1 ? transform(this.preprocessing[0], ds) : sideBySide(this.preprocessing, ds);
  }

  /** For each encoded column, the index of the schema feature it came from. */
  sources(): number[] {
    return this.preprocessing.flatMap((p) => featureSources(p));
  }

  /** Probability of the positive class (default) for every row. */
  score(ds: Dataset): Float64Array {
    return this.engine.predictProba(this.encode(ds));
  }

  scoreRecords(records: readonly Record<string, unknown>[]): Float64Array {
    return this.score(recordsToDataset(records, this.bundle.schema));
  }

  /** The label decided at the threshold: the positive label refuses the application. */
  decision(probability: number): string {
    return probability >= this.threshold ? this.bundle.schema.positive : this.bundle.schema.negative;
  }

  riskBand(probability: number): string {
    const bands = this.bundle.risk_bands;
    for (const b of bands) if (probability <= b.max) return b.name;
    return bands.length ? bands[bands.length - 1].name : 'n/a';
  }
}
