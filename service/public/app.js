// The decision dashboard: plain ES module, no framework, no build step, no outside
// network. It talks only to this service's own API (same origin), so it works offline
// and there is nothing to keep in sync with an npm front-end stack.

const KEY_STORAGE = 'mlops.apiKey';
const SVG_NS = 'http://www.w3.org/2000/svg';
// Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
const WARM = '#D55E00';
// Below this many clients a group's default rate is mostly noise (the fairness report's default too).
const SMALL_GROUP = 30;
const COOL = '#0072B2';

const state = {
  schema: null,
  clients: [],
  /** Last applicant sent for scoring and its prediction. */
  applicant: null,
  prediction: null,
  compareFor: null,
  model: null,
  /** GET /v1/model: name, version, feature ranges and the units of explanations. */
  info: null,
};

const $ = (id) => document.getElementById(id);

/** Element builder: h('td', {class: 'num'}, 'text', child). Text is always set as text, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const pct = (x, digits = 1) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(digits)} %`;
/** The rows' content digest a bundle pins (a version-1 bundle: its CSV file's sha256). */
const dataPin = (m) => m.provenance?.data?.digest ?? m.provenance?.data?.sha256 ?? '';
const num = (x, digits = 3) =>
  x === null || x === undefined
    ? '—'
    : typeof x === 'number'
      ? Number.isInteger(x)
        ? x.toLocaleString('en')
        : x.toFixed(digits)
      : String(x);
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
/** A value as the data has it (a bound of 1.95 stays 1.95), with thousands separators. */
const exact = (x) => x.toLocaleString('en', { maximumFractionDigits: 6 });

/**
 * The units of an explanation, from the engine's declared output space: log-odds for
 * boosting and logistic regression, the probability itself for a forest (it averages
 * its trees' probabilities) and for a soft-voting ensemble (it averages its members'). Every label and number of the waterfall comes from here.
 */
const UNITS = {
  log_odds: {
    phrase: 'in log-odds (the logistic function turns the total into the probability)',
    axis: 'log-odds of default →',
    total: (x) => num(x, 2),
    delta: signed,
  },
  probability: {
    phrase: 'in percentage points of the probability of default',
    axis: 'probability of default →',
    total: (x) => pct(x),
    delta: (x) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} pp`,
  },
};
const unitsOf = (output) => UNITS[output] ?? UNITS.log_odds;

// ---------------------------------------------------------------- API access

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let keyPrompt = null;

/** Asks for the API key once, however many requests are waiting for it. */
function askForKey(message) {
  keyPrompt ??= new Promise((resolve) => {
    const dialog = $('key-dialog');
    $('key-message').textContent = message;
    $('key-input').value = '';
    dialog.addEventListener(
      'close',
      () => {
        keyPrompt = null;
        const key = $('key-input').value.trim();
        if (dialog.returnValue === 'ok' && key) {
          sessionStorage.setItem(KEY_STORAGE, key);
          resolve(true);
        } else resolve(false);
      },
      { once: true },
    );
    dialog.showModal();
    $('key-input').focus();
  });
  return keyPrompt;
}

async function api(path, body) {
  for (;;) {
    const headers = { accept: 'application/json' };
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers['x-api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    if (res.status === 401) {
      const message = key
        ? 'The API key was not accepted. Enter a valid key.'
        : 'This service needs an API key. It is kept for this browser tab only.';
      if (key) sessionStorage.removeItem(KEY_STORAGE);
      if (await askForKey(message)) continue;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}

function showError(e) {
  const el = $('global-error');
  el.textContent =
    e instanceof ApiError && e.status === 401
      ? 'An API key is needed to use this dashboard. Reload the page to enter it.'
      : `Something went wrong: ${e.message}`;
  el.hidden = false;
}

// ---------------------------------------------------------------- routing

const ROUTES = ['applicant', 'compare', 'model'];

let currentRoute = null;

function route() {
  const name = /^#\/(\w+)/.exec(location.hash)?.[1];
  // An in-page anchor (the skip link, #main) is not a route: stay on the current view.
  if (currentRoute && location.hash.length > 1 && !location.hash.startsWith('#/')) return currentRoute;
  const current = ROUTES.includes(name) ? name : 'applicant';
  currentRoute = current;
  for (const r of ROUTES) $(`view-${r}`).hidden = r !== current;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.route === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current === 'compare') refreshCompare();
  if (current === 'model') loadModel();
  return current;
}

// ---------------------------------------------------------------- applicant form

/** The training range of a numeric feature, from the model's schema numbers (GET /v1/model). */
function rangeOf(name) {
  const f = state.info?.features?.find((x) => x.name === name);
  const ok = (v) => typeof v === 'number' && Number.isFinite(v);
  return { min: ok(f?.min) ? f.min : undefined, max: ok(f?.max) ? f.max : undefined };
}

function features() {
  return state.schema.required ?? Object.keys(state.schema.properties);
}

function buildForm() {
  const box = $('fields');
  box.replaceChildren();
  for (const name of features()) {
    const prop = state.schema.properties[name];
    const id = `f-${name}`;
    const hintId = `hint-${name}`;
    const errId = `err-${name}`;
    let control;
    let hint;
    if (Array.isArray(prop.enum)) {
      control = h(
        'select',
        { id, name, 'aria-describedby': `${hintId} ${errId}` },
        h('option', { value: '' }, '(missing)'),
      );
      for (const c of prop.enum) if (c !== null) control.append(h('option', { value: c }, c));
      hint = `${prop.enum.filter((c) => c !== null).length} categories`;
    } else {
      const { min, max } = rangeOf(name);
      control = h('input', {
        id,
        name,
        type: 'number',
        step: 'any',
        min,
        max,
        inputmode: 'decimal',
        'aria-describedby': `${hintId} ${errId}`,
      });
      hint = min !== undefined && max !== undefined ? `${exact(min)}–${exact(max)} in training` : 'number';
    }
    box.append(
      h(
        'div',
        { class: 'field' },
        h('label', { for: id }, name),
        control,
        h('span', { id: hintId, class: 'hint' }, hint),
        h('span', { id: errId, class: 'field-error', hidden: true }),
      ),
    );
  }
}

function fillForm(record) {
  for (const name of features()) {
    const el = $(`f-${name}`);
    const v = record[name];
    if (el.tagName === 'SELECT') {
      for (const o of el.querySelectorAll('option[data-unknown]')) o.remove();
      if (v !== null && v !== undefined && v !== '' && ![...el.options].some((o) => o.value === String(v))) {
        // Keep an unknown category visible so the server's message about it makes sense.
        el.append(h('option', { value: String(v), 'data-unknown': true }, `${v} (not a known category)`));
      }
      el.value = v === null || v === undefined ? '' : String(v);
    } else el.value = typeof v === 'number' ? String(v) : '';
  }
}

function readForm() {
  const record = {};
  const local = [];
  for (const name of features()) {
    const el = $(`f-${name}`);
    if (el.tagName === 'SELECT') record[name] = el.value === '' ? null : el.value;
    else if (el.validity.badInput) local.push({ field: name, message: `"${name}" must be a number` });
    else record[name] = el.value === '' ? null : Number(el.value);
  }
  return { record, local };
}

function clearErrors() {
  $('form-summary').hidden = true;
  $('form-summary').replaceChildren();
  $('json-error').hidden = true;
  $('json-input').removeAttribute('aria-invalid');
  for (const el of document.querySelectorAll('#fields [aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of document.querySelectorAll('#fields .field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
}

/** Puts each field error next to its control; focus goes to the first one. */
function showFieldErrors(errors, headline) {
  const summary = $('form-summary');
  const list = h('ul');
  let first = null;
  for (const e of errors) {
    const control = e.field ? $(`f-${e.field}`) : null;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      const slot = $(`err-${e.field}`);
      slot.textContent = e.message;
      slot.hidden = false;
      first ??= control;
      list.append(h('li', {}, h('a', { href: `#f-${e.field}`, 'data-field': e.field }, e.message)));
    } else list.append(h('li', {}, e.message));
  }
  summary.replaceChildren(h('p', {}, headline), list);
  summary.hidden = false;
  (first ?? summary).focus();
}

async function score(record) {
  clearErrors();
  let prediction;
  try {
    prediction = await api('/v1/predict?explain=true', record).catch((e) => {
      // An engine the service cannot explain (501): the score alone is still worth showing.
      if (e instanceof ApiError && e.status === 501) return api('/v1/predict', record);
      throw e;
    });
  } catch (e) {
    if (e instanceof ApiError && e.body?.message) {
      // An old result next to a refused application would be read as its result.
      notScored('Not scored: correct the fields marked in the form.');
      showFieldErrors(e.body.errors ?? [], `The application was not scored: ${e.body.message}.`);
      return;
    }
    showError(e);
    return;
  }
  state.applicant = record;
  state.prediction = prediction;
  renderPrediction(prediction);
  // The score's position among sample clients comes with the comparison (one request).
  try {
    const cmp = await compare(record);
    if (cmp) renderHistogram(cmp.position, prediction);
  } catch (e) {
    $('r-histogram').replaceChildren(h('p', { class: 'hint' }, e.body?.message ?? e.message));
  }
}

// ---------------------------------------------------------------- prediction display

function notScored(text) {
  state.prediction = null;
  $('result-body').hidden = true;
  $('result-placeholder').hidden = false;
  $('result-placeholder').textContent = text;
  $('r-status').textContent = text;
}

function renderPrediction(p) {
  $('result-placeholder').hidden = true;
  $('result-body').hidden = false;
  $('r-prob').textContent = pct(p.probability);
  const above = p.probability >= p.threshold;
  const decision = $('r-decision');
  decision.textContent = p.decision;
  decision.className = `badge ${above ? 'warm' : 'cool'}`;
  $('r-threshold').textContent = `${above ? 'at or above' : 'below'} the threshold of ${pct(p.threshold)}`;
  $('r-band').textContent = p.risk_band ?? '—';
  $('r-status').textContent =
    `Scored: probability of default ${pct(p.probability)}, decision ${p.decision}, risk band ${p.risk_band ?? 'none'}.`;
  const ex = p.explanation;
  const reasons = $('r-reasons');
  reasons.replaceChildren();
  if (ex?.reason_codes?.length) for (const r of ex.reason_codes) reasons.append(h('li', {}, r));
  else reasons.append(h('li', {}, 'No feature pushes this applicant toward default.'));
  $('waterfall-units').textContent = unitsOf(ex?.output ?? state.info?.explanation_output).phrase;
  $('r-waterfall').replaceChildren(ex ? waterfall(ex) : h('p', {}, 'No explanation available for this model.'));
}

/** Draw charts at their real pixel width so text keeps its size (a closed <details> has none yet). */
function chartWidth(el, fallback) {
  const w = el.clientWidth || el.closest('.panel')?.clientWidth - 30;
  return Math.max(360, Math.round(w > 0 ? w : fallback));
}

/** Width of `text` in pixels in the page's own font at `px` pixels (labels are sized to their text, never cut). */
let measureCtx = null;
function textWidth(text, px) {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  measureCtx.font = `${px}px ${getComputedStyle(document.body).fontFamily}`;
  return measureCtx.measureText(text).width;
}

/** A label as one line, or, when wider than `max`, two: the feature, then "= value". */
function labelLines(label, max) {
  const at = label.indexOf(' = ');
  if (at < 0 || textWidth(label, 12) <= max) return [label];
  return [label.slice(0, at), label.slice(at + 1)];
}

/** Horizontal waterfall in the explanation's own units: base value, each feature's push, the final margin. */
function waterfall(ex) {
  const units = unitsOf(ex.output);
  const TOP = 9;
  const sorted = [...ex.contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const shown = sorted.slice(0, TOP);
  const rest = sorted.slice(TOP);
  const steps = shown.map((c) => ({
    label: `${c.feature} = ${c.value === null ? 'missing' : typeof c.value === 'number' ? exact(c.value) : c.value}`,
    delta: c.contribution,
  }));
  if (rest.length)
    steps.push({ label: `${rest.length} other features`, delta: rest.reduce((a, c) => a + c.contribution, 0) });
  let x = ex.base_value;
  const rows = [{ label: 'Base value (average applicant)', from: 0, to: x, total: true }];
  for (const st of steps) {
    rows.push({ label: st.label, from: x, to: x + st.delta, delta: st.delta });
    x += st.delta;
  }
  rows.push({ label: `This applicant (${pct(ex.probability)})`, from: 0, to: ex.margin, total: true });
  const values = rows.flatMap((r) => [r.from, r.to]);
  const lo = values.reduce((a, b) => Math.min(a, b), 0);
  const hi = values.reduce((a, b) => Math.max(a, b), 0);
  const pad = (hi - lo) * 0.12 || 1;
  const W = chartWidth($('r-waterfall'), 560);
  // The label column is as wide as its longest line, leaving the bars at least 160 px; a
  // label wider than half the chart goes on two lines (feature, then "= value").
  const lines = rows.map((r) => labelLines(r.label, W / 2));
  const widest = lines.flat().reduce((m, t) => Math.max(m, textWidth(t, 12)), 0);
  const LABEL = Math.round(Math.min(W - 96 - 160, Math.max(120, widest + 12)));
  const ROW = 20;
  const LINE = 14;
  const tops = [];
  let H = 0;
  for (const l of lines) {
    tops.push(H + 2);
    H += ROW + (l.length - 1) * LINE;
  }
  H += 24;
  // 48 px either side of the bars for their value labels.
  const sx = (v) => LABEL + 48 + ((v - (lo - pad)) / (hi - lo + 2 * pad)) * (W - LABEL - 96);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    role: 'img',
    'aria-labelledby': 'wf-title wf-desc',
    class: 'waterfall',
  });
  svg.append(s('title', { id: 'wf-title' }, 'Feature contributions, base value to this applicant'));
  svg.append(
    s(
      'desc',
      { id: 'wf-desc' },
      `${units.phrase}: ${rows.map((r) => `${r.label}: ${r.total ? units.total(r.to) : units.delta(r.delta)}`).join('; ')}`,
    ),
  );
  svg.append(s('line', { x1: sx(0), x2: sx(0), y1: 0, y2: H - 20, class: 'axis-zero' }));
  rows.forEach((r, i) => {
    const y = tops[i];
    const a = sx(Math.min(r.from, r.to));
    const b = sx(Math.max(r.from, r.to));
    const fill = r.total ? '#555' : r.delta >= 0 ? WARM : COOL;
    const label = s('text', { x: LABEL - 6, y: y + 13, 'text-anchor': 'end', class: 'wf-label' });
    // Two lines keep the space between them in the text itself, so the label reads as one.
    lines[i].forEach((t, k) =>
      label.append(s('tspan', { x: LABEL - 6, dy: k === 0 ? 0 : LINE }, k < lines[i].length - 1 ? `${t} ` : t)),
    );
    svg.append(label);
    svg.append(s('rect', { x: a, y, width: Math.max(1.5, b - a), height: ROW - 5, fill, rx: 2 }));
    if (i > 0 && i < rows.length - 1)
      svg.append(
        s('line', { x1: sx(r.from), x2: sx(r.from), y1: tops[i - 1] + ROW - 5, y2: y + ROW - 3, class: 'wf-link' }),
      );
    const text = r.total ? units.total(r.to) : units.delta(r.delta);
    const right = r.total ? r.to >= 0 : r.delta >= 0;
    svg.append(
      s(
        'text',
        { x: right ? b + 4 : a - 4, y: y + 13, 'text-anchor': right ? 'start' : 'end', class: 'wf-value' },
        text,
      ),
    );
  });
  svg.append(s('text', { x: W - 10, y: H - 4, 'text-anchor': 'end', class: 'axis-label wf-axis' }, units.axis));
  return svg;
}

/**
 * Histogram of scores (equal-width bins over 0–1) with the applicant's score and the
 * threshold marked; `text` is the chart's accessible title and the applicant's label.
 */
function histogram(container, counts, probability, threshold, text) {
  const W = chartWidth(container, 640);
  const H = 125;
  const L = 36;
  const R = 24;
  const B = 30;
  const bins = counts.length;
  const max = counts.reduce((a, b) => Math.max(a, b), 1);
  const bw = (W - L - R) / bins;
  const sx = (v) => L + v * (W - L - R);
  const sy = (c) => H - B - (c / max) * (H - B - 22);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'histogram' });
  svg.append(s('title', {}, text.title));
  const mine = Math.min(bins - 1, Math.floor(probability * bins));
  counts.forEach((c, i) => {
    svg.append(
      s('rect', {
        x: L + i * bw + 1,
        y: sy(c),
        width: bw - 2,
        height: H - B - sy(c),
        class: i === mine ? 'bin mine' : 'bin',
      }),
    );
  });
  for (const t of [0, 0.25, 0.5, 0.75, 1])
    svg.append(s('text', { x: sx(t), y: H - B + 14, 'text-anchor': 'middle', class: 'axis-label' }, `${t * 100} %`));
  svg.append(
    s('text', { x: sx(0.5), y: H - 3, 'text-anchor': 'middle', class: 'axis-label' }, 'probability of default'),
  );
  if (threshold !== null && threshold !== undefined) {
    svg.append(s('line', { x1: sx(threshold), x2: sx(threshold), y1: 14, y2: H - B, class: 'threshold' }));
    svg.append(s('text', { x: sx(threshold) + 4, y: 12, class: 'axis-label' }, `threshold ${pct(threshold)}`));
  }
  const ax = sx(probability);
  svg.append(s('line', { x1: ax, x2: ax, y1: 20, y2: H - B, class: 'applicant-line' }));
  svg.append(
    s('path', { d: `M${ax - 6},${H - B + 1} L${ax + 6},${H - B + 1} L${ax},${H - B - 9} Z`, class: 'applicant-mark' }),
  );
  const anchorRight = probability > 0.6;
  svg.append(
    s(
      'text',
      {
        x: anchorRight ? ax - 6 : ax + 6,
        y: 30,
        'text-anchor': anchorRight ? 'end' : 'start',
        class: 'applicant-text',
      },
      text.mark,
    ),
  );
  return svg;
}

function renderHistogram(position, p) {
  const label = `This applicant scores higher than ${position.percentile.toFixed(0)} % of sample clients`;
  const svg = histogram($('r-histogram'), position.counts, p.probability, p.threshold, {
    title: `Score distribution of sample clients. ${label}.`,
    mark: `applicant ${pct(p.probability)} · ${position.percentile.toFixed(0)}th percentile`,
  });
  $('r-histogram').replaceChildren(svg, h('p', { class: 'visually-hidden' }, label));
}

// ---------------------------------------------------------------- compare

function compareAttributes() {
  return [$('attr-1').value, $('attr-2').value].filter((a, i, all) => a && all.indexOf(a) === i);
}

async function compare(record) {
  const body = await api('/v1/dashboard/compare', { applicant: record, attributes: compareAttributes() });
  state.compareFor = record;
  renderCompare(body);
  return body;
}

async function refreshCompare() {
  if (!state.applicant) return;
  try {
    await compare(state.applicant);
  } catch (e) {
    $('compare-placeholder').hidden = false;
    $('compare-placeholder').textContent = e.body?.message ?? e.message;
    $('compare-body').hidden = true;
  }
}

function setupCompareForm() {
  const names = features();
  const a1 = $('attr-1');
  const a2 = $('attr-2');
  a2.append(h('option', { value: '' }, '(nothing else)'));
  for (const n of names) {
    a1.append(h('option', { value: n }, n));
    a2.append(h('option', { value: n }, n));
  }
  // Age and Income where the model has them (the credit data), else its two most important features.
  const top = keyFeatures(2);
  a1.value = names.includes('Age') ? 'Age' : (top[0] ?? names[0]);
  a2.value = names.includes('Income') ? 'Income' : (top.find((n) => n !== a1.value) ?? '');
  for (const el of [a1, a2]) el.addEventListener('change', () => refreshCompare());
}

function renderCompare(body) {
  const g = body.group;
  $('compare-placeholder').hidden = true;
  $('compare-body').hidden = false;
  $('compare-who').textContent = state.applicant ? `Applicant: ${describeApplicant(state.applicant)}` : '';
  $('c-group').textContent = g.bands.map((b) => b.label).join(' · ');
  $('c-size').textContent = g.size.toLocaleString('en');
  $('c-rate').textContent = pct(g.default_rate);
  $('c-overall').textContent =
    body.overall?.default_rate !== undefined ? ` vs ${pct(body.overall.default_rate)} overall` : '';
  $('c-mean').textContent = pct(g.mean_score);
  $('c-applicant').textContent = ` applicant ${pct(body.probability)}`;
  $('c-small').hidden = g.size >= SMALL_GROUP;
  $('c-small').textContent =
    g.size === 0
      ? 'No sample client shares these attributes: choose fewer or others.'
      : `Only ${g.size} sample clients share these attributes: their rates say little. Choose fewer or broader attributes.`;
  $('c-features').replaceChildren();
  for (const f of g.features) $('c-features').append(featureCard(f));
  $('c-histogram').replaceChildren(
    g.score_counts
      ? histogram($('c-histogram'), g.score_counts, body.probability, state.prediction?.threshold, {
          title: `Scores of the ${g.size} clients in the group, applicant at ${pct(body.probability)}`,
          mark: `applicant ${pct(body.probability)}`,
        })
      : '',
  );
  $('c-status').textContent =
    `Group ${$('c-group').textContent}: ${g.size} clients, default rate ${pct(g.default_rate)}.`;
}

/** The model's most important features, which describe an applicant in a line. */
function keyFeatures(n) {
  return (state.info?.feature_importance ?? []).slice(0, n).map((f) => f.feature);
}

function describeApplicant(r) {
  return keyFeatures(4)
    .filter((k) => Object.hasOwn(r, k))
    .map((k) => `${k} ${r[k] ?? 'missing'}`)
    .join(', ');
}

/** Where the sample clients come from, and a warning when the model trained on them. */
function showSample(sample) {
  $('sample-source').textContent = sample ? `Sample clients: ${sample.source}.` : '';
  for (const id of ['sample-warning', 'c-sample-warning']) {
    $(id).hidden = !sample?.warning;
    $(id).textContent = sample?.warning ?? '';
  }
}

function featureCard(f) {
  const card = h('figure', { class: 'feature-card' });
  card.append(
    h(
      'figcaption',
      {},
      h('strong', {}, f.feature),
      ` — applicant: ${f.applicant === null ? 'missing' : num(f.applicant, 2)}`,
    ),
  );
  if (f.kind === 'numeric') {
    if (!f.quantiles) {
      card.append(h('p', { class: 'hint' }, 'No values in this group.'));
      return card;
    }
    const [p10, p25, p50, p75, p90] = f.quantiles;
    const x = typeof f.applicant === 'number' ? f.applicant : null;
    const lo = Math.min(p10, x ?? p10);
    const hi = Math.max(p90, x ?? p90);
    const span = hi - lo || 1;
    const W = 300;
    const sx = (v) => 8 + ((v - lo) / span) * (W - 16);
    const svg = s('svg', { viewBox: `0 0 ${W} 46`, width: '100%', role: 'img', class: 'range' });
    svg.append(
      s(
        'title',
        {},
        `${f.feature}: group p10 ${num(p10, 1)}, median ${num(p50, 1)}, p90 ${num(p90, 1)}; applicant ${x === null ? 'missing' : num(x, 1)}${f.percentile !== undefined ? `, above ${f.percentile.toFixed(0)} % of the group` : ''}`,
      ),
    );
    svg.append(
      s('rect', { x: sx(p10), y: 12, width: Math.max(1, sx(p90) - sx(p10)), height: 12, class: 'range-outer' }),
    );
    svg.append(
      s('rect', { x: sx(p25), y: 12, width: Math.max(1, sx(p75) - sx(p25)), height: 12, class: 'range-inner' }),
    );
    svg.append(s('line', { x1: sx(p50), x2: sx(p50), y1: 9, y2: 27, class: 'range-median' }));
    if (x !== null) svg.append(s('path', { d: `M${sx(x)},8 l6,10 l-6,10 l-6,-10 Z`, class: 'applicant-mark' }));
    svg.append(s('text', { x: sx(p10), y: 40, 'text-anchor': 'start', class: 'axis-label' }, `p10 ${num(p10, 1)}`));
    svg.append(s('text', { x: sx(p90), y: 40, 'text-anchor': 'end', class: 'axis-label' }, `p90 ${num(p90, 1)}`));
    card.append(svg);
    if (f.percentile !== undefined)
      card.append(
        h(
          'p',
          { class: 'hint' },
          `Median ${num(p50, 1)}; the applicant is above ${f.percentile.toFixed(0)} % of the group.`,
        ),
      );
  } else {
    const list = h('ul', { class: 'shares' });
    for (const sh of f.shares ?? []) {
      const mine = sh.category === f.applicant;
      list.append(
        h(
          'li',
          { class: mine ? 'mine' : '' },
          h(
            'span',
            { class: 'share-label' },
            sh.category,
            mine
              ? [
                  ' ',
                  h('span', { 'aria-hidden': 'true' }, '◆'),
                  h('span', { class: 'visually-hidden' }, ' (applicant)'),
                ]
              : null,
          ),
          h('span', { class: 'share-bar', style: `width:${(sh.share * 100).toFixed(1)}%` }),
          h('span', { class: 'share-value' }, pct(sh.share, 0)),
        ),
      );
    }
    card.append(list);
  }
  return card;
}

// ---------------------------------------------------------------- model page

let modelLoading = null;

function loadModel() {
  modelLoading ??= api('/v1/dashboard/model')
    .then((m) => {
      state.model = m;
      renderModel(m);
    })
    .catch((e) => {
      modelLoading = null;
      $('model-body').replaceChildren(
        h('p', { class: 'banner error' }, `The model card could not be loaded: ${e.body?.message ?? e.message}`),
      );
    });
  return modelLoading;
}

/** A captioned table; the first cell of a row is its header, columns in `numeric` align right. */
function table(caption, head, rows, numeric = (i) => i >= 1) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', { class: numeric(i) ? 'num' : null }, c))),
        ),
      ),
    ),
  );
}

function renderModel(m) {
  const body = $('model-body');
  const version = m.version === null || m.version === undefined ? 'not from the registry' : `v${m.version}`;
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Name'),
    h('dd', {}, m.name),
    h('dt', {}, 'Version'),
    h('dd', {}, version),
    h('dt', {}, 'Engine'),
    h(
      'dd',
      {},
      m.members
        ? `soft-voting ensemble of ${m.members.map((x) => `${x.candidate} (${pct(x.weight)})`).join(', ')}`
        : m.engine,
    ),
    h('dt', {}, 'Digest'),
    h('dd', { class: 'mono', title: m.digest }, m.digest.slice(0, 23) + '…'),
    h('dt', {}, 'Threshold'),
    h('dd', {}, `${pct(m.threshold, 2)} (probability of “${m.positive}” at or above it → “${m.positive}”)`),
    h('dt', {}, 'Costs'),
    h('dd', {}, `missed default ${num(m.costs.false_negative)} : wrongly declined ${num(m.costs.false_positive)}`),
    h('dt', {}, 'Training data'),
    h('dd', {}, `${m.provenance?.data?.path ?? 'pinned by its rows digest'} (${num(m.provenance?.data?.rows)} rows)`),
    // Bundles pin their rows by content digest; version-1 bundles by the CSV file's sha256.
    h('dt', {}, 'Rows digest'),
    h('dd', { class: 'mono', title: dataPin(m) }, dataPin(m) ? `${dataPin(m).slice(0, 16)}…` : '—'),
    m.provenance?.created_at ? [h('dt', {}, 'Trained'), h('dd', {}, m.provenance.created_at)] : null,
    h('dt', {}, 'Seed'),
    h('dd', {}, m.provenance?.seed ?? '—'),
    h('dt', {}, 'Git commit'),
    h('dd', { class: 'mono' }, m.provenance?.git?.commit ? m.provenance.git.commit.slice(0, 12) : '—'),
    m.registry_version === null || m.registry_version === undefined
      ? null
      : [
          h('dt', {}, 'Sign-off'),
          h(
            'dd',
            { class: m.sign_off?.state === 'rejected' ? 'sign-off rejected' : 'sign-off' },
            m.sign_off ? `${m.sign_off.text} (${when(m.sign_off.time)})` : 'none recorded',
          ),
        ],
  );
  const splits = ['train', 'validation', 'test'].filter((k) => m.metrics?.[k]);
  const cols = [
    ...splits.map((k) => ({ name: k, metrics: m.metrics[k] })),
    ...(m.sample
      ? [
          {
            name:
              m.sample.seen_in_training === 0
                ? `sample clients (${m.sample.rows} test rows)`
                : `sample clients (${m.sample.rows}, ${m.sample.seen_in_training ?? 'unknown'} seen in training)`,
            metrics: m.sample.metrics,
          },
        ]
      : []),
  ];
  const metricNames = [
    'roc_auc',
    'pr_auc',
    'ks',
    'gini',
    'brier',
    'log_loss',
    'accuracy',
    'precision',
    'recall',
    'f1',
    'expected_cost',
  ];
  const metrics = table(
    'Metrics',
    ['metric', ...cols.map((c) => c.name)],
    metricNames.map((k) => [k, ...cols.map((c) => num(c.metrics[k]))]),
  );
  const importance = h('ol', { class: 'importance' });
  const maxImp = (m.feature_importance ?? []).reduce((a, f) => Math.max(a, f.importance), 1e-9);
  for (const f of (m.feature_importance ?? []).slice(0, 8)) {
    importance.append(
      h(
        'li',
        {},
        h('span', { class: 'share-label' }, f.feature),
        h('span', { class: 'share-bar', style: `width:${((60 * f.importance) / maxImp).toFixed(1)}%` }),
        h('span', { class: 'share-value' }, num(f.importance)),
      ),
    );
  }

  const parts = [
    h(
      'div',
      { class: 'model-top' },
      h('section', { class: 'panel' }, h('h3', {}, 'Card'), facts),
      h('section', { class: 'panel' }, metrics),
      h('section', { class: 'panel' }, h('h3', {}, 'Most important features'), importance),
    ),
  ];
  if (m.sample) {
    const charts = h('div', { class: 'charts' });
    for (const c of m.sample.charts) {
      // Our own renderer's SVG, shown as an image: an <img> never runs scripts it may contain.
      charts.append(
        h(
          'figure',
          { class: 'chart-fig' },
          h('img', {
            src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.svg)}`,
            alt: `${c.title} (sample clients)`,
          }),
          h('figcaption', {}, c.title),
        ),
      );
    }
    parts.push(
      h(
        'section',
        { id: 'sample-charts' },
        h('h3', {}, `Charts on ${m.sample.rows} sample clients`),
        h('p', { class: 'hint' }, `Sample clients: ${m.sample.source}.`),
        m.sample.warning ? h('p', { class: 'banner warn' }, m.sample.warning) : null,
        charts,
      ),
    );
    parts.push(fairnessSection(m.sample.fairness));
  } else
    parts.push(
      h(
        'p',
        { class: 'hint' },
        "No labelled sample clients: the model's test rows cannot be rebuilt here; set SAMPLE_CLIENTS to see charts and fairness.",
      ),
    );
  parts.push(historySection(m));
  body.replaceChildren();
  for (const part of parts) body.append(part);
  body.removeAttribute('aria-busy');
}

function fairnessSection(f) {
  const sec = h('section', { id: 'fairness' }, h('h3', {}, 'Fairness on sample clients'));
  if (!f || !f.attributes?.length) {
    sec.append(h('p', { class: 'hint' }, 'No fairness attributes configured.'));
    return sec;
  }
  sec.append(
    h(
      'p',
      { class: f.flagged ? 'banner warn' : 'hint' },
      f.flagged
        ? `Flagged: at least one group's disparate impact is below ${f.config.min_disparate_impact}.`
        : 'No group is flagged.',
    ),
  );
  const grid = h('div', { class: 'fairness-grid' });
  for (const a of f.attributes) {
    grid.append(
      table(
        `${a.attribute} (reference group: ${a.reference_group ?? '—'})`,
        ['group', 'rows', 'approval rate', 'TPR', 'FPR', 'disparate impact', 'flagged'],
        a.groups.map((g) => [
          g.group,
          num(g.rows),
          pct(g.approval_rate),
          pct(g.tpr),
          pct(g.fpr),
          g.disparate_impact === null ? '—' : g.disparate_impact.toFixed(2),
          g.flags.length
            ? `⚠ ${g.flags.join('; ')}`
            : g.small
              ? `no (small group, under ${f.config.min_group_size})`
              : 'no',
        ]),
        (i) => i >= 1 && i <= 5,
      ),
    );
  }
  sec.append(grid);
  return sec;
}

/** An ISO time as `2026-01-15 09:30 UTC`. */
function when(iso) {
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

function historySection(m) {
  const history = m.history ?? [];
  const sec = h('section', { id: 'history' }, h('h3', {}, 'Promotion history'));
  if (m.registry_version === null || m.registry_version === undefined) {
    sec.append(
      h(
        'p',
        { class: 'hint' },
        'This model is not a version in a registry next to this service (its digest is not listed there): no promotion history.',
      ),
    );
    return sec;
  }
  sec.append(
    table(
      'Registry events, newest first',
      ['time', 'event', 'version', 'previous champion', 'actor', 'reason / verdict'],
      history.map((e) => [
        e.time ? when(e.time) : '—',
        e.event ?? '—',
        e.version === null || e.version === undefined ? '—' : `v${e.version}`,
        e.previous_champion === null || e.previous_champion === undefined ? '—' : `v${e.previous_champion}`,
        e.actor ?? '—',
        e.reason ?? e.verdict ?? '—',
      ]),
      () => false,
    ),
  );
  return sec;
}

// ---------------------------------------------------------------- start

async function start() {
  window.addEventListener('hashchange', route);
  // Show the addressed view at once (e.g. the model page) while the form's data loads.
  const first = route();
  try {
    const [schema, clients, info] = await Promise.all([
      api('/v1/model/schema'),
      api('/v1/dashboard/clients'),
      api('/v1/model'),
    ]);
    state.schema = schema;
    state.clients = clients.clients ?? [];
    state.info = info;
    showSample(clients.sample ?? null);
  } catch (e) {
    showError(e);
    return;
  }
  buildForm();
  setupCompareForm();
  const select = $('client-select');
  for (const c of state.clients)
    select.append(h('option', { value: c.id }, `${c.label} — ${describeApplicant(c.record)}`));
  if (!state.clients.length)
    select.append(h('option', { value: '', disabled: true }, 'no sample clients on this service'));
  select.addEventListener('change', () => {
    const c = state.clients.find((x) => x.id === select.value);
    if (!c) return;
    fillForm(c.record);
    score({ ...c.record });
  });
  $('applicant-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const { record, local } = readForm();
    if (local.length) {
      clearErrors();
      showFieldErrors(local, 'Some fields are not numbers.');
      return;
    }
    select.value = '';
    score(record);
  });
  // Editing a field the service refused takes its message away.
  $('fields').addEventListener('input', (ev) => {
    const el = ev.target;
    if (el.getAttribute('aria-invalid') !== 'true') return;
    el.removeAttribute('aria-invalid');
    $(`err-${el.name}`).hidden = true;
  });
  $('form-summary').addEventListener('click', (ev) => {
    const field = ev.target.closest('a[data-field]')?.dataset.field;
    if (field) {
      ev.preventDefault();
      $(`f-${field}`).focus();
    }
  });
  // The waterfall is drawn at its real width, which a closed <details> does not have.
  $('explanation').addEventListener('toggle', () => {
    const ex = state.prediction?.explanation;
    if ($('explanation').open && ex) $('r-waterfall').replaceChildren(waterfall(ex));
  });
  $('json-submit').addEventListener('click', () => {
    clearErrors();
    let record;
    try {
      record = JSON.parse($('json-input').value);
      if (record === null || typeof record !== 'object' || Array.isArray(record))
        throw new Error('expected a JSON object like {"Age": 30, …}');
    } catch (e) {
      const err = $('json-error');
      err.textContent = `Not valid JSON: ${e.message}`;
      err.hidden = false;
      $('json-input').setAttribute('aria-invalid', 'true');
      $('json-input').focus();
      return;
    }
    fillForm(record);
    select.value = '';
    // Send exactly what was pasted: the server is the judge of what is valid.
    score(record);
  });
  document.body.dataset.ready = 'true';
  if (first !== 'applicant') $(`h-${first}`).focus();
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#/')) $(`h-${currentRoute}`).focus();
  });
  $('model-line').textContent = `Model: ${state.info.name}${state.info.version ? ` v${state.info.version}` : ''}`;
}

start();
