/** What every router of the service is given: the loaded model and the service's parts. */
import type { Logger } from 'pino';
import type { CreditModel, Explanation } from '../../pipeline/core/index.ts';
import type { ServiceOptions } from '../config.ts';
import type { ModelSource } from '../scoring/model-source.ts';
import type { Scorer } from '../scoring/scoring.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { KeyChecker } from './auth.ts';
import type { ScoringLog } from '../logging/scoring-log.ts';

export interface ServiceState {
  options: ServiceOptions;
  model: CreditModel;
  source: ModelSource;
  scorer: Scorer;
  metrics: ServiceMetrics;
  logger: Logger;
  keys: KeyChecker;
  /** False until the model is loaded and again once shutdown begins (readiness). */
  ready: boolean;
  /** Explanations of validated applicants; null when the model's engine declares no attribution. */
  explain: ((records: Record<string, unknown>[]) => Explanation[]) | null;
  /** Sampled log of scored applicants for drift monitoring; null when off (the default). */
  scoringLog: ScoringLog | null;
  /** Metrics text for /metrics; under node:cluster, aggregated over all workers. */
  metricsText: () => Promise<string>;
  /** Paths served without an API key (health probes, docs). Routers may add theirs. */
  publicPaths: Set<string>;
}
