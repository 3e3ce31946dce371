/**
 * The analytics view (`ui://voisa/analytics`) for `get_analytics`: the overview, SVG charts of calls
 * and success rate over the timeline and of the sentiment split, top intents, and a period switcher
 * that calls `get_analytics` again through the host with the same agent_id.
 *
 * DOM contract (test/views relies on it):
 * - `svg[data-chart="calls"]`, `svg[data-chart="success_rate"]`, `svg[data-chart="sentiment"]`;
 * - in the calls and success_rate charts one `[data-point]` per timeline entry, in order, with
 *   `data-date` and `data-value` (the entry's `calls`, or its `success_rate` as the API gives it,
 *   0–1; "" when the API has none for that date, drawn as a gap);
 * - `button[data-period="day|week|month|year"]`, `aria-pressed="true"` on the period shown;
 * - `#total-calls`: overview.total_calls.
 */
import './analytics.css';
import { PERIODS } from '../voisa/schemas/analytics.js';
import {
  byId,
  callTool,
  clock,
  el,
  isRecord,
  num,
  resultText,
  showError,
  startView,
  str,
  svg,
  type ToolResult,
} from './shared.js';

type Period = (typeof PERIODS)[number];

interface Point {
  date: string;
  calls: number;
  success_rate: number | null;
}

const W = 600;
const H = 190;
const PAD = { top: 12, right: 12, bottom: 26, left: 40 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

let agentId: string | undefined;
let period: Period = 'month';
let busy = false;

const periods = document.querySelector<HTMLElement>('.periods')!;
periods.append(
  ...PERIODS.map((p) =>
    el('button', { type: 'button', class: 'btn', 'data-period': p, 'aria-pressed': 'false' }, capital(p)),
  ),
);

const app = startView({
  name: 'voisa-analytics',
  onInput: (args) => {
    agentId = str(args.agent_id) ?? agentId;
    if (isPeriod(args.period)) period = args.period;
  },
  onResult: show,
});

function isPeriod(value: unknown): value is Period {
  return (PERIODS as readonly unknown[]).includes(value);
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function show(result: ToolResult): void {
  if (result.isError) {
    showError(resultText(result) || 'The tool failed.');
    return;
  }
  showError('');
  const data = result.structuredContent ?? {};
  if (isPeriod(data.period)) period = data.period;
  agentId = str(data.agent_id) ?? agentId;
  render(data);
  for (const b of periods.querySelectorAll<HTMLElement>('[data-period]')) {
    b.setAttribute('aria-pressed', String(b.dataset.period === period));
  }
}

function render(data: Record<string, unknown>): void {
  const overview = isRecord(data.overview) ? data.overview : {};
  const timeline = (Array.isArray(data.timeline) ? data.timeline : []).filter(isRecord).map(
    (p): Point => ({
      date: str(p.date) ?? '',
      calls: num(p.calls) ?? 0,
      success_rate: num(p.success_rate) ?? null,
    }),
  );
  byId('title').textContent = agentId ? `Analytics of ${agentId}` : 'Agent analytics';
  byId('range').textContent = range(data);

  const total = num(overview.total_calls);
  byId('total-calls').textContent = total === undefined ? '–' : String(total);
  byId('success-rate').textContent = percent(num(overview.success_rate));
  const avg = num(overview.avg_duration);
  byId('avg-duration').textContent = avg === undefined ? '–' : clock(avg);
  const sum = num(overview.total_duration);
  byId('total-duration').textContent = sum === undefined ? '–' : clock(sum);

  byId('calls-chart').replaceChildren(callsChart(timeline));
  byId('rate-chart').replaceChildren(rateChart(timeline));
  renderSentiment(isRecord(data.sentiment) ? data.sentiment : {});
  renderIntents(Array.isArray(data.top_intents) ? data.top_intents.filter(isRecord) : []);
  byId('table').replaceChildren(
    ...timeline.map((p) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, p.date),
        el('td', {}, p.calls),
        el('td', {}, percent(p.success_rate)),
      ),
    ),
  );
}

function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '–' : `${Math.round(rate * 100)}%`;
}

function range(data: Record<string, unknown>): string {
  const day = (iso: unknown) => {
    const t = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
    return Number.isNaN(t) ? undefined : new Date(t).toLocaleDateString(undefined, { dateStyle: 'medium' });
  };
  const from = day(data.date_from);
  const to = day(data.date_to);
  const span = from && to ? `${from} – ${to}` : undefined;
  return [`Last ${period}`, span].filter(Boolean).join(', ');
}

// --- charts -----------------------------------------------------------------------------------

/** x of the centre of entry i of n. */
function xAt(i: number, n: number): number {
  return PAD.left + (PLOT_W / n) * (i + 0.5);
}

/** A round maximum for the y axis. */
function niceMax(max: number): number {
  if (max <= 5) return Math.max(1, Math.ceil(max));
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

function frame(chart: string, label: string, description: string, height = H): SVGElement {
  const id = `chart-${chart}`;
  return svg(
    'svg',
    {
      'data-chart': chart,
      viewBox: `0 0 ${W} ${height}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      preserveAspectRatio: 'xMidYMid meet',
    },
    svg('title', { id: `${id}-title` }, label),
    svg('desc', { id: `${id}-desc` }, description),
  );
}

/** Horizontal grid lines with their labels, and the first, middle and last dates under the plot. */
function axes(
  root: SVGElement,
  points: Point[],
  ticks: { value: number; label: string }[],
  max: number,
): void {
  for (const t of ticks) {
    const y = PAD.top + PLOT_H - (t.value / max) * PLOT_H;
    root.append(
      svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }),
      svg('text', { class: 'tick', x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, t.label),
    );
  }
  const n = points.length;
  const shown = new Set(n ? [0, Math.floor((n - 1) / 2), n - 1] : []);
  for (const i of shown) {
    root.append(
      svg('text', { class: 'tick', x: xAt(i, n), y: H - 8, 'text-anchor': 'middle' }, points[i]!.date),
    );
  }
  if (!n) {
    root.append(
      svg('text', { class: 'empty', x: W / 2, y: PAD.top + PLOT_H / 2, 'text-anchor': 'middle' }, 'No calls'),
    );
  }
}

function callsChart(points: Point[]): SVGElement {
  const total = points.reduce((s, p) => s + p.calls, 0);
  const top = Math.max(0, ...points.map((p) => p.calls));
  const root = frame(
    'calls',
    'Calls per date',
    points.length
      ? `${total} calls over ${points.length} dates, from ${points[0]!.date} to ${points.at(-1)!.date}; at most ${top} on one date.`
      : 'No calls in this period.',
  );
  const max = niceMax(top);
  axes(
    root,
    points,
    [0, max / 2, max].map((v) => ({ value: v, label: Number.isInteger(v) ? String(v) : '' })),
    max,
  );
  const slot = PLOT_W / Math.max(1, points.length);
  const width = Math.max(2, Math.min(36, slot * 0.7));
  points.forEach((p, i) => {
    const h = (p.calls / max) * PLOT_H;
    root.append(
      svg(
        'rect',
        {
          class: 'bar',
          'data-point': true,
          'data-date': p.date,
          'data-value': p.calls,
          x: xAt(i, points.length) - width / 2,
          y: PAD.top + PLOT_H - h,
          width,
          height: h,
          rx: 2,
        },
        svg('title', {}, `${p.date}: ${p.calls} ${p.calls === 1 ? 'call' : 'calls'}`),
      ),
    );
  });
  return root;
}

function rateChart(points: Point[]): SVGElement {
  const rated = points.filter((p) => p.success_rate !== null);
  const mean = rated.length ? rated.reduce((s, p) => s + p.success_rate!, 0) / rated.length : undefined;
  const root = frame(
    'success_rate',
    'Success rate per date',
    rated.length
      ? `Success rate on ${rated.length} dates, ${percent(Math.min(...rated.map((p) => p.success_rate!)))} to ${percent(Math.max(...rated.map((p) => p.success_rate!)))}, ${percent(mean)} on average.`
      : 'No finished calls in this period.',
  );
  axes(
    root,
    points,
    [0, 0.5, 1].map((v) => ({ value: v, label: percent(v) })),
    1,
  );
  const y = (rate: number) => PAD.top + PLOT_H - Math.min(1, Math.max(0, rate)) * PLOT_H;
  // The line breaks where a date has no rate.
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1) root.append(svg('polyline', { class: 'line', points: run.join(' ') }));
    run = [];
  };
  points.forEach((p, i) => {
    if (p.success_rate === null) flush();
    else run.push(`${xAt(i, points.length)},${y(p.success_rate)}`);
  });
  flush();
  points.forEach((p, i) => {
    const attrs = { 'data-point': true, 'data-date': p.date, 'data-value': p.success_rate ?? '' };
    if (p.success_rate === null) {
      root.append(svg('g', attrs, svg('title', {}, `${p.date}: no finished calls`)));
      return;
    }
    root.append(
      svg(
        'circle',
        { ...attrs, class: 'dot', cx: xAt(i, points.length), cy: y(p.success_rate), r: 3.5 },
        svg('title', {}, `${p.date}: ${percent(p.success_rate)} successful`),
      ),
    );
  });
  return root;
}

const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

function renderSentiment(s: Record<string, unknown>): void {
  const shares = SENTIMENTS.map((name) => ({ name, value: Math.max(0, num(s[name]) ?? 0) }));
  const sum = shares.reduce((t, x) => t + x.value, 0);
  const height = 36;
  const root = frame(
    'sentiment',
    'Sentiment of the calls',
    sum
      ? shares.map((x) => `${x.name} ${percent(x.value / sum)}`).join(', ')
      : 'No rated calls in this period.',
    height,
  );
  let x = 0;
  for (const share of shares) {
    const width = sum ? (share.value / sum) * W : 0;
    root.append(
      svg(
        'rect',
        {
          class: `segment ${share.name}`,
          'data-segment': share.name,
          'data-value': share.value,
          x,
          y: 4,
          width,
          height: height - 8,
        },
        svg('title', {}, `${capital(share.name)}: ${percent(sum ? share.value / sum : 0)}`),
      ),
    );
    x += width;
  }
  if (!sum) root.append(svg('rect', { class: 'segment none', x: 0, y: 4, width: W, height: height - 8 }));
  byId('sentiment-chart').replaceChildren(root);
  byId('sentiment-legend').replaceChildren(
    ...shares.map((share) =>
      el(
        'li',
        {},
        el('span', { class: `swatch ${share.name}`, 'aria-hidden': 'true' }),
        `${capital(share.name)} ${sum ? percent(share.value / sum) : '–'}`,
      ),
    ),
  );
}

function renderIntents(intents: Record<string, unknown>[]): void {
  byId('intents').replaceChildren(
    ...intents.map((i) =>
      el(
        'li',
        {},
        `${str(i.intent) ?? '?'}: ${num(i.count) ?? 0}`,
        i.percentage === undefined ? '' : ` (${percent(num(i.percentage))})`,
      ),
    ),
  );
  byId('intents-section').hidden = intents.length === 0;
}

// --- the period switcher ----------------------------------------------------------------------

periods.addEventListener('click', async (e) => {
  const button = (e.target as Element).closest<HTMLButtonElement>('button[data-period]');
  const next = button?.dataset.period;
  if (!button || !isPeriod(next) || busy) return;
  const status = byId('status');
  if (!agentId) {
    showError('This view did not receive the agent id, so it cannot ask for another period.');
    return;
  }
  busy = true;
  const main = document.querySelector('main')!;
  main.setAttribute('aria-busy', 'true');
  status.textContent = `Loading the last ${next}…`;
  try {
    const result = await callTool(app, 'get_analytics', { agent_id: agentId, period: next });
    if (result.isError) {
      showError(resultText(result) || 'get_analytics failed.');
      status.textContent = 'Could not load that period.';
      return;
    }
    period = next;
    show(result);
    status.textContent = `Showing the last ${next}.`;
  } finally {
    busy = false;
    main.removeAttribute('aria-busy');
  }
});
