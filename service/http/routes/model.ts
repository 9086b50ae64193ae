/** The model card endpoints: metadata and lineage, metrics, parameters, applicant schema. */
import Router from '@koa/router';
import { attributionOf, ensembleMembers } from '../../../pipeline/core/index.ts';
import type { ServiceState } from '../state.ts';

export function modelRouter(s: ServiceState): Router {
  const r = new Router({ prefix: '/v1/model' });
  const b = s.model.bundle;
  const members = ensembleMembers(b);
  const meta = {
    name: b.name,
    version: s.source.version,
    digest: b.digest,
    engine: b.engine.engine,
    // A soft-voting ensemble's members and weights (absent for a single engine).
    ...(members ? { members } : {}),
    threshold: b.threshold,
    costs: b.costs,
    risk_bands: b.risk_bands,
    target: { column: b.schema.target, positive: b.schema.positive, negative: b.schema.negative },
    // Ranges and categories as numbers and lists from the schema, for forms and hints: a
    // client never has to read them out of the JSON Schema's descriptions.
    features: b.schema.features.map((f) =>
      f.kind === 'numeric'
        ? { name: f.name, kind: f.kind, integer: f.integer, min: f.min, max: f.max, median: f.median }
        : { name: f.name, kind: f.kind, categories: f.categories },
    ),
    ids: b.schema.ids,
    training_rows: b.schema.rows,
    positive_rate: b.schema.positive_rate,
    feature_importance: b.feature_importance,
    provenance: b.provenance,
    explain: s.explain !== null,
    // The units of an explanation's base value and contributions, as the engine declares them.
    explanation_output: s.explain ? (attributionOf(s.model)?.output ?? null) : null,
  };
  r.get('/', (ctx) => {
    ctx.body = meta;
  });
  r.get('/metrics', (ctx) => {
    ctx.body = { model: s.scorer.ref, threshold: b.threshold, metrics: b.metrics };
  });
  r.get('/params', (ctx) => {
    ctx.body = {
      model: s.scorer.ref,
      engine: b.engine.engine,
      params: b.engine.params,
      // An ensemble's members each have their own encoding, in the order of its members.
      preprocessing: b.preprocessing
        ? { encoding: b.preprocessing.encoding }
        : { encodings: s.model.preprocessing.map((p) => p.encoding) },
    };
  });
  r.get('/schema', (ctx) => {
    ctx.body = s.scorer.validator.schema;
  });
  return r;
}
