/**
 * The decision dashboard for relationship managers: static pages under /dashboard/ and
 * the few JSON endpoints they need beyond /v1/predict — sample clients, the
 * applicant's place among similar clients, and the model card. The computations live in
 * pipeline/ (dashboard/peers.ts, report charts, fairness); this file only serves them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { ServiceState } from '../state.ts';
import { parseJson, readBody, requireKind } from '../body.ts';
import { badRequest, HttpError } from '../http-error.ts';
import {
  readCsvFile,
  type CsvEncoding,
  toDataset,
  isMlopsError,
  computeMetrics,
  fairnessReport,
  loadConfig,
  DEFAULT_FAIRNESS,
  type FairnessConfig,
} from '../../../pipeline/core/index.ts';
import { PAGE_CSP } from '../security-headers.ts';
// Charts load vega on their first use, so the card's charts cost nothing until it is asked for.
import { renderCharts, type Chart } from '../../../pipeline/gitops/index.ts';
import { peerGroup, scorePosition, type Reference } from '../../scoring/peers.ts';

/** The page's files by name (a Map: a name from the URL finds only these). */
const STATIC = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
]);

/** Where the page files are: beside the sources in development, beside the bundle in the image. */
function publicDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.DASHBOARD_DIR,
    // Sources: service/http/routes/ -> service/public; the bundle: dist/service/chunks/ -> dist/service/public.
    join(here, '..', '..', 'public'),
    join(here, '..', 'public'),
    join(here, 'public'),
    join(process.cwd(), 'service', 'public'),
  ];
  return candidates.find((d): d is string => typeof d === 'string' && existsSync(join(d, 'index.html'))) ?? null;
}

/** A labelled sample of applicants: SAMPLE_CLIENTS, else the embedded test split when it fits the model. */
function loadReference(s: ServiceState): { reference: Reference; file: string } | null {
  const candidates = [process.env.SAMPLE_CLIENTS, join(s.options.root, 'data', 'credit_data', 'test.csv')].filter(
    (p): p is string => Boolean(p),
  );
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      // Read as the model's training data was (its encoding), under the same CSV contract.
      const encoding = (s.model.bundle.provenance.config as { data?: { encoding?: CsvEncoding } }).data?.encoding;
      const ds = toDataset(readCsvFile(file, { encoding }), s.model.bundle.schema, { requireTarget: false });
      return { reference: { ds, scores: s.model.score(ds) }, file };
    } catch (e) {
      if (!isMlopsError(e)) throw e;
      s.logger.warn(
        { file, err: { message: e.message } },
        'sample clients do not fit the model; the dashboard works without them',
      );
    }
  }
  return null;
}

function fairnessConfig(s: ServiceState): FairnessConfig {
  try {
    const cfg = loadConfig(null, s.options.root).config as { fairness?: Partial<FairnessConfig> };
    if (cfg.fairness?.attributes?.length) return { ...DEFAULT_FAIRNESS, ...cfg.fairness } as FairnessConfig;
  } catch {
    // No readable config next to the service (e.g. in the container): fall back below.
  }
  const names = new Set(s.model.bundle.schema.features.map((f) => f.name));
  const attributes = [
    ...(names.has('Age') ? [{ column: 'Age', bands: [25, 35, 50] }] : []),
    ...(names.has('Marital') ? [{ column: 'Marital' }] : []),
  ];
  return { ...DEFAULT_FAIRNESS, attributes };
}

export function dashboardRouter(s: ServiceState): Router {
  const r = new Router();
  const dir = publicDir();
  const loaded = loadReference(s);
  const schema = s.model.bundle.schema;
  const topFeatures = s.model.bundle.feature_importance.slice(0, 5).map((f) => f.feature);
  for (const f of STATIC.keys()) s.publicPaths.add(`/dashboard/${f}`);
  s.publicPaths.add('/dashboard/');
  s.publicPaths.add('/dashboard');
  s.publicPaths.add('/');
  let charts: Promise<Chart[]> | null = null;

  r.get('/', (ctx) => ctx.redirect('/dashboard/'));
  // The router is not strict about a trailing slash: '/dashboard' also matches '/dashboard/',
  // which must serve the page (redirecting it would loop). Optional segments are written
  // {:name} in path-to-regexp 8 (koa-router 15), not :name?.
  r.get('/dashboard', (ctx, next) => (ctx.path === '/dashboard' ? ctx.redirect('/dashboard/') : next()));
  r.get('/dashboard/{:file}', (ctx) => {
    const file = ctx.params.file ?? 'index.html';
    const type = STATIC.get(file);
    if (!dir || !type) throw new HttpError(404, 'NOT_FOUND', `no dashboard file "${file}"`);
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.body = readFileSync(join(dir, file));
  });

  r.get('/v1/dashboard/clients', (ctx) => {
    if (!loaded) {
      ctx.body = {
        clients: [],
        note: 'no sample clients configured (set SAMPLE_CLIENTS to a CSV with the model columns)',
      };
      return;
    }
    const { ds } = loaded.reference;
    const n = Math.min(ds.rows, 200);
    ctx.body = {
      clients: Array.from({ length: n }, (_, i) => {
        const record: Record<string, number | string | null> = {};
        for (const f of schema.features) {
          if (f.kind === 'numeric') {
            const v = ds.numeric.get(f.name)![i];
            record[f.name] = Number.isNaN(v) ? null : v;
          } else record[f.name] = ds.categorical.get(f.name)![i];
        }
        return { id: `client-${i + 1}`, label: `Client ${i + 1}`, record };
      }),
    };
  });

  r.post('/v1/dashboard/compare', async (ctx) => {
    requireKind(ctx.req, ['json']);
    const body = parseJson(await readBody(ctx.req, s.options.bodyLimitBytes)) as {
      applicant?: unknown;
      attributes?: unknown;
    };
    if (!body || typeof body !== 'object' || !body.applicant || typeof body.applicant !== 'object')
      throw badRequest('send {"applicant": {...}, "attributes": ["Age"]}');
    const prediction = s.scorer.one(body.applicant);
    if (!loaded) throw new HttpError(404, 'NOT_FOUND', 'no sample clients to compare with (set SAMPLE_CLIENTS)');
    if (
      body.attributes !== undefined &&
      !(Array.isArray(body.attributes) && body.attributes.every((a) => typeof a === 'string'))
    )
      throw badRequest('"attributes" must be an array of feature names (strings), e.g. ["Age"]');
    const attributes = (body.attributes as string[] | undefined) ?? [];
    try {
      ctx.body = {
        probability: prediction.probability,
        position: scorePosition(loaded.reference, prediction.probability),
        group: peerGroup(loaded.reference, schema, body.applicant as Record<string, unknown>, attributes, topFeatures),
        overall: overallOf(loaded.reference),
      };
    } catch (e) {
      if (isMlopsError(e)) throw badRequest(e.message);
      throw e;
    }
  });

  // The model card as JSON: the dashboard's model page, and /v1/model/report for other clients.
  r.get(['/v1/dashboard/model', '/v1/model/report'], async (ctx) => {
    const b = s.model.bundle;
    let sample: unknown = null;
    if (loaded?.reference.ds.y) {
      const { ds, scores } = loaded.reference;
      charts ??= renderCharts({
        positive: schema.positive,
        negative: schema.negative,
        threshold: b.threshold,
        costs: b.costs,
        confusion: computeMetrics(ds.y!, scores, b.threshold, b.costs).confusion_matrix,
        series: [{ label: `${b.name}${s.source.version ? ` v${s.source.version}` : ''}`, y: ds.y!, p: scores }],
      });
      const rendered = await charts;
      const cfg = fairnessConfig(s);
      const columns = new Map<string, (string | null)[] | Float64Array>();
      for (const a of cfg.attributes) {
        const col = ds.numeric.get(a.column) ?? ds.categorical.get(a.column);
        if (col) columns.set(a.column, col);
      }
      sample = {
        rows: ds.rows,
        metrics: computeMetrics(ds.y!, scores, b.threshold, b.costs),
        charts: rendered
          .filter((c) => ['roc.svg', 'score-distribution.svg', 'expected-cost.svg', 'calibration.svg'].includes(c.file))
          .map((c) => ({ title: c.title, svg: c.svg })),
        fairness: fairnessReport({ y: ds.y!, p: scores, threshold: b.threshold, columns }, cfg),
      };
    }
    ctx.body = {
      name: b.name,
      version: s.source.version,
      digest: b.digest,
      engine: b.engine.engine,
      params: b.engine.params,
      threshold: b.threshold,
      costs: b.costs,
      positive: schema.positive,
      negative: schema.negative,
      metrics: b.metrics,
      feature_importance: b.feature_importance,
      provenance: {
        data: b.provenance.data,
        git: b.provenance.git,
        created_at: b.provenance.created_at,
        seed: b.provenance.seed,
      },
      ...readHistory(s),
      sample,
    };
  });
  return r;
}

/** The whole sample's default rate and mean score: what a peer group is compared against. */
function overallOf(reference: Reference): { size: number; default_rate: number | null; mean_score: number } {
  const { ds, scores } = reference;
  const y = ds.y;
  const size = ds.rows;
  return {
    size,
    default_rate: y && size ? y.reduce((a, b) => a + b, 0) / size : null,
    mean_score: size ? scores.reduce((a, b) => a + b, 0) / size : 0,
  };
}

/**
 * The registry's history for this model, newest first, and the latest sign-off of the
 * served version, when the registry is next to the service.
 */
function readHistory(s: ServiceState): {
  history: unknown[];
  sign_off: { time: string; state: string; text: string; ci_run_url: string | null } | null;
} {
  const none = { history: [], sign_off: null };
  const file = join(s.options.root, 'models', 'registry.json');
  if (!existsSync(file)) return none;
  try {
    const reg = JSON.parse(readFileSync(file, 'utf8')) as {
      models?: Record<
        string,
        {
          history?: {
            event: string;
            version: number | null;
            time: string;
            reason: string | null;
            ci_run_url: string | null;
            sign_off?: { state: string } | null;
            verdict?: unknown;
          }[];
        }
      >;
    };
    const name = s.model.bundle.name;
    const events = (reg.models && Object.hasOwn(reg.models, name) ? reg.models[name].history : undefined) ?? [];
    const signed = events
      .filter((e) => e.event === 'signed_off' && e.version === s.source.version && e.sign_off)
      .at(-1);
    return {
      history: events
        .slice(-20)
        .reverse()
        .map(({ verdict, ...e }) => ({ ...e, verdict: (verdict as { summary?: string } | null)?.summary ?? null })),
      sign_off: signed
        ? { time: signed.time, state: signed.sign_off!.state, text: signed.reason ?? '', ci_run_url: signed.ci_run_url }
        : null,
    };
  } catch {
    return none;
  }
}
