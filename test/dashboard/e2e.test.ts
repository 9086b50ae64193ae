/**
 * The decision dashboard end to end, in Debian's headless Chromium driven by
 * playwright-core: the page against the real in-process service and a trained model,
 * with every request outside 127.0.0.1 refused (the page must work offline). The test
 * also takes screenshots: into a temporary folder, or over the ones kept in
 * docs/img/dashboard-*.png with UPDATE_SCREENSHOTS=1 (`npm run docs:images`), so a test
 * run never changes tracked files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, runCli } from '../helpers/cli.ts';
import { trainedProject, type TrainedProject } from '../service/helpers.ts';
import { recordSignOff } from '../../pipeline/gitops/registry/sign-off.ts';
import { defaultOptions } from '../../service/config.ts';
import { startService, type StartedService } from '../../service/start.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const SHOTS = UPDATE ? join(ROOT, 'docs', 'img') : mkdtempSync(join(tmpdir(), 'dashboard-shots-'));
const API_KEY = 'dashboard-e2e-key-0123456789';
const VIEWPORT = { width: 1366, height: 768 };

interface Prediction {
  probability: number;
  decision: string;
  threshold: number;
  risk_band: string;
  explanation: { contributions: { feature: string; contribution: number }[]; reason_codes: string[] };
}
interface ErrorBody {
  errors: { field: string; message: string }[];
}
type Client = { id: string; record: Record<string, number | string | null> };

let project: TrainedProject;
let server: Server;
let keyServer: Server | null = null;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const outside: string[] = [];
const pageErrors: string[] = [];
/** What Chromium refused under the pages' Content-Security-Policy (it reports each on the console). */
const cspViolations: string[] = [];

/** The waterfall's labels that reach past the chart's edge, as drawn: none when every label is whole. */
const cutLabels = (pg: Page): Promise<string[]> =>
  pg.evaluate<string[]>(`(() => {
    const svg = document.querySelector('#r-waterfall svg').getBoundingClientRect();
    return [...document.querySelectorAll('#r-waterfall .wf-label')]
      .filter((t) => { const r = t.getBoundingClientRect(); return r.left < svg.left - 0.5 || r.right > svg.right + 0.5; })
      .map((t) => t.textContent);
  })()`);

/** Waits for the page (up to 15 s: CI runs other suites beside this one on two cores). */
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 15_000 });

/** The page's own formatting of a probability (app.js `pct`). */
const pct = (p: number): string => `${(100 * p).toFixed(1)} %`;

async function newPage(url: string): Promise<{ context: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: VIEWPORT, reducedMotion: 'reduce' });
  // Nothing but the service itself: a CDN, font or analytics request would fail here.
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'data:') return route.continue();
    outside.push(u.href);
    return route.abort();
  });
  const pg = await ctx.newPage();
  pg.on('pageerror', (e) => pageErrors.push(e.message));
  pg.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await pg.goto(url);
  return { context: ctx, page: pg };
}

interface Server extends StartedService {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** The service as `npm start` runs it in the project: the registry's champion, on 127.0.0.1:0. */
async function serve(dir: string, apiKeys: string[] = []): Promise<Server> {
  const started = await startService({
    ...defaultOptions(dir),
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    apiKeys,
  });
  return {
    ...started,
    post: (path, body, headers = {}) =>
      fetch(started.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
  };
}

async function clients(s: Server, headers: Record<string, string> = {}): Promise<Client[]> {
  const res = await fetch(`${s.url}/v1/dashboard/clients`, { headers });
  return ((await res.json()) as { clients: Client[] }).clients;
}

let chosen: Client | null = null;

/**
 * A married client (a comparison group large enough to read once Marital is chosen) with
 * a score between 30 % and 70 %, whose explanation has reasons to show.
 */
async function sampleClient(s: Server): Promise<Client> {
  if (chosen) return chosen;
  const all = await clients(s);
  const res = await s.post(
    '/v1/predict/batch',
    all.map((c) => c.record),
  );
  const { predictions } = (await res.json()) as { predictions: { probability: number }[] };
  chosen =
    all.find(
      (c, i) => c.record.Marital === 'married' && predictions[i].probability > 0.3 && predictions[i].probability < 0.7,
    ) ?? all[0];
  return chosen;
}

beforeAll(async () => {
  // Training, then a real promotion so the model page has a registry history to show. The
  // clock is fixed meanwhile (Date only; timers run normally) so that the run id and the
  // history times, and with them the model page's screenshot, are the same on every run.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-01-15T09:30:00Z'));
  try {
    project = await trainedProject();
    const promoted = await runCli(
      ['promote', '--run', 'runs/svc', '--actor', 'risk-team', '--reason', 'first champion'],
      project.dir,
    );
    if (promoted.code !== 0) throw new Error(`promotion failed: ${promoted.err}`);
    // The model-risk sign-off the release job records (actions/sign-off) for the page to show.
    recordSignOff({
      dir: join(project.dir, 'models'),
      name: project.model.bundle.name,
      environment: 'production',
      reviews: [{ login: 'model-risk', state: 'approved', comment: 'back-test passed', environments: ['production'] }],
      runId: 7,
      actor: 'github-actions[bot]',
      gitCommit: null,
    });
  } finally {
    vi.useRealTimers();
  }
  server = await serve(project.dir);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(SHOTS, { recursive: true });
  ({ context, page } = await newPage(`${server.url}/dashboard/`));
  await page.waitForSelector('body[data-ready="true"]');
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  await keyServer?.close();
  if (project?.dir) rmSync(project.dir, { recursive: true, force: true });
  if (!UPDATE) rmSync(SHOTS, { recursive: true, force: true });
});

describe('decision dashboard in Chromium', () => {
  it('scores a sample client exactly as /v1/predict does and places it in the score distribution', async () => {
    const client = await sampleClient(server);
    const expected = (await (await server.post('/v1/predict?explain=true', client.record)).json()) as Prediction;

    await page.selectOption('#client-select', client.id);
    await poll(() => page.textContent('#r-prob')).toBe(pct(expected.probability));
    expect(await page.textContent('#r-decision')).toBe(expected.decision);
    expect(await page.textContent('#r-band')).toBe(expected.risk_band);
    expect(await page.textContent('#r-threshold')).toContain(pct(expected.threshold));
    // The form shows the chosen client's values.
    expect(await page.inputValue('#f-Age')).toBe(String(client.record.Age));
    // The histogram marks the applicant's bin and says its percentile.
    await page.waitForSelector('#r-histogram svg .bin.mine');
    expect(await page.textContent('#r-histogram .applicant-text')).toMatch(/applicant .* · \d+th percentile/);
    // Screen readers hear one sentence per result.
    expect(await page.textContent('#r-status')).toBe(
      `Scored: probability of default ${pct(expected.probability)}, decision ${expected.decision}, risk band ${expected.risk_band}.`,
    );
    expect(await page.getAttribute('#r-status', 'aria-live')).toBe('polite');
  });

  it('opens the explanation: waterfall from base value to margin, and the reason codes in words', async () => {
    const client = await sampleClient(server);
    const expected = (await (await server.post('/v1/predict?explain=true', client.record)).json()) as Prediction;

    expect(await page.isVisible('#r-waterfall')).toBe(false);
    await page.click('#explanation summary');
    await page.waitForSelector('#r-waterfall svg', { state: 'visible' });
    const reasons = await page.$$eval('#r-reasons li', (li) => li.map((x) => x.textContent));
    expect(reasons).toEqual(
      expected.explanation.reason_codes.length
        ? expected.explanation.reason_codes
        : ['No feature pushes this applicant toward default.'],
    );
    // Base value, the 9 largest contributions, the rest together, and the applicant's margin.
    const n = expected.explanation.contributions.length;
    expect(await page.locator('#r-waterfall svg rect').count()).toBe(n > 9 ? 12 : n + 2);
    const top = [...expected.explanation.contributions].sort(
      (a, b) => Math.abs(b.contribution) - Math.abs(a.contribution),
    )[0];
    const labels = await page.$$eval('#r-waterfall .wf-label', (t) => t.map((x) => x.textContent));
    const values = await page.$$eval('#r-waterfall .wf-value', (t) => t.map((x) => x.textContent));
    expect(labels[1]).toMatch(new RegExp(`^${top.feature} = `));
    expect(await cutLabels(page)).toEqual([]);
    expect(values[1]).toBe(`${top.contribution >= 0 ? '+' : '−'}${Math.abs(top.contribution).toFixed(2)}`);
    // Toward default is the warm colour, away from it the cool one.
    const fill = await page.getAttribute('#r-waterfall svg rect:nth-of-type(2)', 'fill');
    expect(fill).toBe(top.contribution >= 0 ? '#D55E00' : '#0072B2');
    await page.screenshot({ path: join(SHOTS, 'dashboard-applicant.png') });
  });

  it('compares the applicant with similar clients and switches the group', async () => {
    await page.click('nav a[href="#/compare"]');
    await page.waitForSelector('#view-compare:not([hidden]) #c-features figure');
    expect(await page.getAttribute('nav a[href="#/compare"]', 'aria-current')).toBe('page');
    expect(await page.inputValue('#attr-1')).toBe('Age');
    expect(await page.inputValue('#attr-2')).toBe('Income');
    await poll(() => page.textContent('#c-group')).toMatch(/^Age .* · Income /);

    const client = await sampleClient(server);
    const direct = (await (
      await server.post('/v1/dashboard/compare', { applicant: client.record, attributes: ['Marital'] })
    ).json()) as {
      group: { size: number; default_rate: number; bands: { label: string }[] };
    };
    await page.selectOption('#attr-1', 'Marital');
    await page.selectOption('#attr-2', '');
    await poll(() => page.textContent('#c-group')).toBe(direct.group.bands[0].label);
    expect(await page.textContent('#c-size')).toBe(direct.group.size.toLocaleString('en'));
    expect(await page.textContent('#c-rate')).toBe(pct(direct.group.default_rate));
    expect(await page.textContent('#c-overall')).toMatch(/vs .* % overall/);
    // The group's scores, applicant's bin marked.
    expect(await page.locator('#c-histogram svg rect.bin').count()).toBe(20);
    expect(await page.locator('#c-histogram svg rect.bin.mine').count()).toBe(1);
    // The applicant's own category is outlined among the group's shares.
    expect(await page.locator('#c-features .shares li.mine').count()).toBeGreaterThan(0);
    await page.selectOption('#attr-2', 'Income');
    await poll(() => page.textContent('#c-group')).toMatch(/^Marital = .* · Income /);
    await page.screenshot({ path: join(SHOTS, 'dashboard-compare.png') });
  });

  it('shows the model card: charts as images, the fairness table and the promotion history', async () => {
    await page.click('nav a[href="#/model"]');
    await page.waitForSelector('#fairness table');
    const charts = page.locator('.charts img');
    expect(await charts.count()).toBe(4);
    // Every chart decoded (the SVG is a data: image, allowed by the page's CSP).
    await poll(() =>
      page.evaluate<boolean>(
        `[...document.querySelectorAll('.charts img')].every((i) => i.complete && i.naturalWidth > 0)`,
      ),
    ).toBe(true);
    expect(await charts.first().getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    // Each chart at (nearly) its own size, so its text is as large as drawn; the expected-cost
    // chart, with its long subtitle the widest, is not shrunk into a small tile.
    const sizes = await page.evaluate<{ alt: string; shown: number; natural: number }[]>(
      `[...document.querySelectorAll('.charts img')].map((i) => ({ alt: i.alt, shown: i.clientWidth, natural: i.naturalWidth }))`,
    );
    for (const c of sizes) expect(c.shown / c.natural, c.alt).toBeGreaterThanOrEqual(0.9);
    const cost = sizes.find((c) => c.alt.startsWith('Expected cost'));
    expect(cost?.shown).toBeGreaterThanOrEqual(560);
    const head = await page.$$eval('#fairness table:first-of-type thead th', (th) => th.map((x) => x.textContent));
    expect(head).toEqual(['group', 'rows', 'approval rate', 'TPR', 'FPR', 'disparate impact', 'flagged']);
    expect(await page.locator('#fairness tbody tr').count()).toBeGreaterThan(2);
    const body = await page.textContent('#model-body');
    expect(body).toContain(project.model.bundle.digest.slice(0, 20));
    expect(body).toContain('promoted');
    expect(body).toContain('risk-team');
    const signOff = await page.textContent('#model-body dd.sign-off');
    expect(signOff).toBe('approved by model-risk ("back-test passed") in production (2026-01-15 09:30 UTC)');
    expect(body).toContain('signed_off');
    // The whole page: the fairness table and the history sit below the charts.
    await page.screenshot({ path: join(SHOTS, 'dashboard-model.png'), fullPage: true });
    // The skip link is an in-page anchor, not a route: the model page stays.
    await page.focus('a.skip');
    await page.keyboard.press('Enter');
    await poll(() => page.evaluate<string>('location.hash')).toBe('#main');
    expect(await page.isVisible('#view-model')).toBe(true);
  });

  it("shows the server's validation message next to the offending field", async () => {
    await page.click('nav a[href="#/applicant"]');
    const record = { ...(await clients(server))[0].record, Age: 'forty', Home: 'castle' };
    const direct = (await (await server.post('/v1/predict', record)).json()) as ErrorBody;
    expect(direct.errors.map((e) => e.field).sort()).toEqual(['Age', 'Home']);

    await page.click('#json-box summary');
    await page.fill('#json-input', JSON.stringify(record));
    await page.click('#json-submit');
    for (const e of direct.errors) {
      await poll(() => page.textContent(`#err-${e.field}`)).toBe(e.message);
      expect(await page.getAttribute(`#f-${e.field}`, 'aria-invalid')).toBe('true');
      expect(await page.getAttribute(`#f-${e.field}`, 'aria-describedby')).toContain(`err-${e.field}`);
    }
    // Focus moves to the first field the server named; the previous result is withdrawn.
    expect(await page.evaluate<string>('document.activeElement.id')).toBe(`f-${direct.errors[0].field}`);
    expect(await page.isVisible('#result-body')).toBe(false);
    expect(await page.textContent('#result-placeholder')).toMatch(/^Not scored/);
    // Fixing the fields and scoring again clears the messages and scores the corrected form.
    await page.selectOption('#f-Home', 'rent');
    await page.fill('#f-Age', '40');
    await page.click('#applicant-form button[type=submit]');
    const fixed = (await (await server.post('/v1/predict', { ...record, Age: 40, Home: 'rent' })).json()) as Prediction;
    await poll(() => page.textContent('#r-prob')).toBe(pct(fixed.probability));
    expect(await page.isVisible('#err-Age')).toBe(false);
    expect(await page.isVisible('#form-summary')).toBe(false);
    expect(await page.getAttribute('#f-Age', 'aria-invalid')).toBeNull();
  });

  it('is usable from the keyboard: every control labelled, reachable with Tab, with a visible focus', async () => {
    await page.click('nav a[href="#/applicant"]');
    // (Browser-side code is passed as text: this project's TypeScript has no DOM types.)
    const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id)`);
    expect(unlabelled).toEqual([]);
    await page.evaluate('document.activeElement?.blur()');
    const reached: { id: string; text: string; outline: string }[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        // Past the last control, Tab leaves the page and the body is "active": not a stop.
        await page.evaluate<{ id: string; text: string; outline: string }>(`(() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          const outline = el === document.body ? 'solid (page left)' : style.outlineStyle + ' ' + style.outlineWidth;
          return { id: el.id, text: (el.textContent ?? '').trim().slice(0, 40), outline };
        })()`),
      );
    }
    const ids = reached.map((r) => r.id);
    for (const id of ['client-select', 'f-Seniority', 'f-Home', 'f-Price']) expect(ids).toContain(id);
    for (const text of ['Applicant', 'Compare with similar clients', 'Model', 'Score application'])
      expect(reached.map((r) => r.text)).toContain(text);
    // The focus ring is drawn for keyboard focus on every stop.
    expect(reached.filter((r) => !r.outline.startsWith('solid'))).toEqual([]);
  });

  it('asks for the API key when the service needs one, and works once it is given', async () => {
    keyServer = await serve(project.dir, [API_KEY]);
    const { context: ctx, page: pg } = await newPage(`${keyServer.url}/dashboard/`);
    try {
      const dialog = pg.locator('#key-dialog');
      await dialog.waitFor({ state: 'visible' });
      // A wrong key is refused and asked for again.
      await pg.fill('#key-input', 'not-the-right-key-at-all');
      await pg.click('#key-form button[value=ok]');
      await poll(() => pg.textContent('#key-message')).toMatch(/not accepted/);
      await dialog.waitFor({ state: 'visible' });
      await pg.fill('#key-input', API_KEY);
      await pg.click('#key-form button[value=ok]');
      await pg.waitForSelector('body[data-ready="true"]');
      expect(await pg.evaluate<string | null>(`sessionStorage.getItem('mlops.apiKey')`)).toBe(API_KEY);

      const client = (await clients(keyServer, { 'x-api-key': API_KEY }))[1];
      const expected = (await (
        await keyServer.post('/v1/predict', client.record, { 'x-api-key': API_KEY })
      ).json()) as Prediction;
      await pg.selectOption('#client-select', client.id);
      await poll(() => pg.textContent('#r-prob')).toBe(pct(expected.probability));
      expect(await dialog.isVisible()).toBe(false);
    } finally {
      await ctx.close();
    }
  });

  it('/docs: Swagger UI renders the API description under the security headers', async () => {
    const docs = await newPage(`${server.url}/docs`);
    try {
      await docs.page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
      const paths = await docs.page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim()));
      expect(paths).toContain('/v1/predict');
      expect(paths).toContain('/v1/predict/batch');
      const answer = await docs.page.request.get(`${server.url}/docs`);
      expect(answer.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(answer.headers()['x-content-type-options']).toBe('nosniff');
    } finally {
      await docs.context.close();
    }
  });

  it('made no request outside the service, raised no script error and broke no Content-Security-Policy', () => {
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

/**
 * Units, ranges and sample clients come from the served model's own metadata: a forest's
 * explanation is in probability, a gbdt's and a logistic model's in log-odds, a soft-voting
 * ensemble's (`engine: auto` with `auto.ensemble`) in probability, and range hints are the
 * schema's numbers, on a CSV whose features have decimal maxima.
 */
describe('the dashboard for a forest, a gbdt, a logistic model and an ensemble trained on decimal features', () => {
  const ENGINES = [
    {
      engine: 'forest',
      params: ['--param', 'nTrees=30'],
      axis: 'probability of default →',
      phrase: /percentage points of the probability/,
    },
    { engine: 'gbdt', params: ['--param', 'nRounds=60'], axis: 'log-odds of default →', phrase: /^in log-odds/ },
    { engine: 'logistic', params: [], axis: 'log-odds of default →', phrase: /^in log-odds/ },
    // engine auto, with auto.ensemble in the folder's config: the ensemble of its top finalists wins here.
    {
      engine: 'auto',
      params: [],
      axis: 'probability of default →',
      phrase: /percentage points of the probability/,
    },
  ] as const;
  let dir: string;
  const LONG_NAMES = ['employment_seniority_in_years_at_application', 'installment_commitment_requested_amount'];

  beforeAll(async () => {
    // The credit data with three columns rescaled to decimals (Expenses 0.35–1.8 and so on).
    dir = mkdtempSync(join(tmpdir(), 'dashboard-decimals-'));
    const lines = readFileSync(join(ROOT, 'data', 'credit_data.csv'), 'utf8')
      .trim()
      .split('\n');
    const head = lines[0].split(',');
    const scale: Record<string, number> = { Expenses: 100, Amount: 1000, Price: 997 };
    // Long feature names, as in other data sets: the explanation's labels must show them whole.
    const out = [lines[0].replace('Seniority', LONG_NAMES[0]).replace('Amount', LONG_NAMES[1])];
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      out.push(
        cells.map((c, i) => (scale[head[i]] && c !== '' ? (Number(c) / scale[head[i]]).toFixed(3) : c)).join(','),
      );
    }
    writeFileSync(join(dir, 'loans.csv'), out.join('\n') + '\n');
    writeFileSync(
      join(dir, 'mlops.config.json'),
      JSON.stringify({
        data: { path: 'loans.csv', target: 'Status', positive: 'bad' },
        auto: { budget_seconds: 4, folds: 3, ensemble: true },
      }),
    );
    for (const e of ENGINES) {
      const r = await runCli(
        [
          'train',
          '--data',
          'loans.csv',
          '--target',
          'Status',
          '--positive',
          'bad',
          '--engine',
          e.engine,
          ...e.params,
          '--quiet',
          '--out',
          `runs/${e.engine}`,
        ],
        dir,
      );
      if (r.code !== 0) throw new Error(`training ${e.engine} failed: ${r.err}`);
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(ENGINES)('$engine: units from the engine, ranges from the schema, no NaN anywhere', async (e) => {
    const modelPath = join(dir, 'runs', e.engine, 'model.json');
    const schema = (
      JSON.parse(readFileSync(modelPath, 'utf8')) as {
        schema: { features: { name: string; kind: string; min?: number; max?: number }[] };
      }
    ).schema;
    const svc = await startService({
      ...defaultOptions(dir),
      modelPath,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
    });
    const { context: ctx, page: pg } = await newPage(`${svc.url}/dashboard/`);
    const errors = pageErrors.length;
    try {
      await pg.waitForSelector('body[data-ready="true"]');
      // Every numeric hint is the schema's training range, as numbers (1.8, not "NaN").
      const exact = (x: number) => x.toLocaleString('en', { maximumFractionDigits: 6 });
      for (const f of schema.features.filter((x) => x.kind === 'numeric'))
        expect(await pg.textContent(`#hint-${f.name}`)).toBe(`${exact(f.min!)}–${exact(f.max!)} in training`);
      expect(schema.features.filter((f) => f.max !== undefined && !Number.isInteger(f.max)).length).toBeGreaterThan(0);
      // The sample clients are the model's test rows, rebuilt from its provenance.
      expect(await pg.textContent('#sample-source')).toMatch(
        /test rows of loans\.csv .* which the model did not train on/,
      );
      expect(await pg.isVisible('#sample-warning')).toBe(false);

      const first = await pg.$eval(
        '#client-select option:nth-child(2)',
        (o) => (o as unknown as { value: string }).value,
      );
      await pg.selectOption('#client-select', first);
      await pg.waitForSelector('#r-prob:not(:empty)');
      await pg.click('#explanation summary');
      await pg.waitForSelector('#r-waterfall svg', { state: 'visible' });
      expect(await pg.textContent('#waterfall-units')).toMatch(e.phrase);
      expect(await pg.textContent('#r-waterfall .wf-axis')).toBe(e.axis);
      // Every label whole: inside the chart, reading "feature = value" with the feature's full name.
      expect(await cutLabels(pg)).toEqual([]);
      const names = new Set(schema.features.map((f) => f.name));
      const labels = await pg.$$eval('#r-waterfall .wf-label', (t) => t.map((x) => x.textContent ?? ''));
      const featureLabels = labels.slice(1, -1).filter((l) => !/^\d+ other features$/.test(l));
      expect(featureLabels.length).toBeGreaterThan(0);
      for (const l of featureLabels) expect(names.has(l.split(' = ')[0]), l).toBe(true);
      expect(featureLabels.some((l) => LONG_NAMES.some((n) => l.startsWith(`${n} = `)))).toBe(true);
      const values = await pg.$$eval('#r-waterfall .wf-value', (t) => t.map((x) => x.textContent ?? ''));
      if (e.axis.startsWith('probability')) {
        // Base value and total as probabilities, each push in percentage points.
        expect(values[0]).toMatch(/^\d+\.\d %$/);
        expect(values.slice(1, -1).every((v) => / pp$/.test(v))).toBe(true);
      } else expect(values.slice(1, -1).every((v) => /^[+−]\d+\.\d\d$/.test(v))).toBe(true);
      expect(await pg.textContent('body')).not.toContain('NaN');

      await pg.click('nav a[href="#/compare"]');
      await pg.waitForSelector('#view-compare:not([hidden]) #c-features figure');
      expect(await pg.textContent('body')).not.toContain('NaN');
      await pg.click('nav a[href="#/model"]');
      await pg.waitForSelector('#model-body .facts');
      if (e.engine === 'auto') {
        const bundle = JSON.parse(readFileSync(modelPath, 'utf8')) as { engine: { engine: string } };
        expect(bundle.engine.engine).toBe('ensemble');
        expect(await pg.textContent('#model-body .facts')).toMatch(
          /soft-voting ensemble of [a-z]+ #\d+ \(33\.3 %\), [a-z]+ #\d+ \(33\.3 %\), [a-z]+ #\d+ \(33\.3 %\)/,
        );
      }
      await pg.waitForSelector('#history');
      expect(await pg.textContent('#sample-charts h3 + p')).toMatch(/test rows of loans\.csv/);
      // Not a registry version: no history of another model.
      expect(await pg.textContent('#history')).toMatch(/not a version in a registry/);
      expect(await pg.textContent('body')).not.toContain('NaN');
      expect(pageErrors.slice(errors)).toEqual([]);
    } finally {
      await ctx.close();
      await svc.close();
    }
  });

  it('/docs renders Swagger UI with no warning box', async () => {
    const { context: ctx, page: pg } = await newPage(`${server.url}/docs`);
    try {
      await pg.waitForSelector('.swagger-ui .info .title');
      await pg.waitForSelector('.swagger-ui .opblock');
      expect(await pg.locator('.swagger-ui .errors-wrapper').count()).toBe(0);
      expect(await pg.textContent('body')).not.toContain('jsonSchemaDialect');
    } finally {
      await ctx.close();
    }
  });
});
