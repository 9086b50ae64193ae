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
  subset,
  ensembleMembers,
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
import { renderCharts, sampleRows, type Chart } from '../../../pipeline/gitops/index.ts';
import { peerGroup, scorePosition, type Reference } from '../../scoring/peers.ts';
import { registryEntryOf } from '../../scoring/model-source.ts';

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

/** What the sample clients are, sent with every answer computed on them. */
interface SampleInfo {
  source: string;
  rows: number;
  /** Sample rows the model trained on (0: none, its own test rows); null when that cannot be checked. */
  seen_in_training: number | null;
  /** A warning for people when figures on the sample would flatter the model; null when none is needed. */
  warning: string | null;
}

/**
 * The sample clients: the served model's own test rows, rebuilt from its provenance (rows
 * it did not train on), or SAMPLE_CLIENTS, checked against its training rows.
 */
function loadReference(s: ServiceState): { reference: Reference; sample: SampleInfo } | null {
  const file = process.env.SAMPLE_CLIENTS || null;
  try {
    const rows = sampleRows(s.model.bundle, { baseDir: s.options.root, bundlePath: s.source.path, file });
    const ds = subset(toDataset(rows.table, s.model.bundle.schema, { requireTarget: false }), rows.index);
    const seen = rows.seen_in_training;
    const warning =
      seen === null
        ? `Whether the model trained on these clients cannot be checked (${rows.unchecked_reason}): figures on them may flatter it.`
        : seen > 0
          ? `${seen} of these ${ds.rows} clients are rows the model trained on: figures on them flatter it, and are no measure of how it scores new applicants.`
          : null;
    return {
      reference: { ds, scores: s.model.score(ds) },
      sample: { source: rows.source, rows: ds.rows, seen_in_training: seen, warning },
    };
  } catch (e) {
    if (!isMlopsError(e)) throw e;
    s.logger.warn(
      { file, err: { message: e.message } },
      'no sample clients for this model; the dashboard works without them',
    );
    return null;
  }
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
        sample: null,
        note: "no sample clients: the model's test rows cannot be rebuilt here (set SAMPLE_CLIENTS to a CSV with the model columns)",
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
      sample: loaded.sample,
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
        sample: loaded.sample,
      };
    } catch (e) {
      if (isMlopsError(e)) throw badRequest(e.message);
      throw e;
    }
  });

  // The model card as JSON: the dashboard's model page, and /v1/model/report for other clients.
  r.get(['/v1/dashboard/model', '/v1/model/report'], async (ctx) => {
    const b = s.model.bundle;
    const members = ensembleMembers(b);
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
        rows: loaded.sample.seen_in_training === 0 ? 'test rows' : 'sample clients',
      });
      const rendered = await charts;
      const cfg = fairnessConfig(s);
      const columns = new Map<string, (string | null)[] | Float64Array>();
      for (const a of cfg.attributes) {
        const col = ds.numeric.get(a.column) ?? ds.categorical.get(a.column);
        if (col) columns.set(a.column, col);
      }
      sample = {
        ...loaded.sample,
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
      // A soft-voting ensemble's members and weights (absent for a single engine).
      ...(members ? { members } : {}),
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
 * served version: only when the served bundle is a version of that name in the registry
 * next to the service (its digest listed there). A bundle from elsewhere gets neither.
 */
function readHistory(s: ServiceState): {
  registry_version: number | null;
  history: unknown[];
  sign_off: { time: string; state: string; text: string; ci_run_url: string | null } | null;
} {
  const none = { registry_version: null, history: [], sign_off: null };
  let found: ReturnType<typeof registryEntryOf>;
  try {
    found = registryEntryOf(s.options.root, s.model.bundle.name, s.model.bundle.digest);
  } catch (e) {
    // An unreadable registry does not take the model page down; the page says there is no history.
    if (!isMlopsError(e)) throw e;
    s.logger.warn({ err: { message: e.message } }, 'registry not readable; the model page shows no history');
    return none;
  }
  if (!found) return none;
  const events = found.model.history;
  const signed = events.filter((e) => e.event === 'signed_off' && e.version === found.version && e.sign_off).at(-1);
  return {
    registry_version: found.version,
    history: events
      .slice(-20)
      .reverse()
      .map(({ verdict, ...e }) => ({ ...e, verdict: verdict?.summary ?? null })),
    sign_off: signed
      ? { time: signed.time, state: signed.sign_off!.state, text: signed.reason ?? '', ci_run_url: signed.ci_run_url }
      : null,
  };
}
