/** Agent analytics computed from the stored conversations. */
import { ApiFailure } from './errors.js';
import { round2 } from './ids.js';
import type { ConversationRecord } from './types.js';

export type Period = 'day' | 'week' | 'month' | 'year';
const PERIOD_DAYS: Record<Period, number> = { day: 1, week: 7, month: 30, year: 365 };
const DAY = 86_400_000;

/** Parses a date bound; a date-only `date_to` covers the whole day. */
export function parseBound(value: string | undefined, end: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return end && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY - 1 : ms;
}

/**
 * Range: `date_from`/`date_to` when given, else the last `period` (default month)
 * ending now. Timeline buckets: days, or months (`YYYY-MM`) for `year` and
 * ranges longer than 92 days. Only buckets with calls are listed.
 */
export function computeAnalytics(
  all: ConversationRecord[],
  q: { period?: Period; date_from?: string; date_to?: string },
  now = Date.now(),
) {
  const period = q.period ?? 'month';
  const to = parseBound(q.date_to, true) ?? now;
  const from = parseBound(q.date_from, false) ?? to - PERIOD_DAYS[period] * DAY;
  if (from > to)
    throw new ApiFailure(400, 'INVALID_REQUEST', 'date_from must not be after date_to', 'date_from');
  const monthly = period === 'year' || to - from > 92 * DAY;
  const convs = all.filter((c) => {
    const t = Date.parse(c.started_at);
    return t >= from && t <= to;
  });
  const ended = convs.filter((c) => c.status !== 'ongoing');
  const succeeded = ended.filter((c) => c.status === 'success').length;
  const totalDuration = ended.reduce((s, c) => s + c.duration, 0);

  const buckets = new Map<string, { calls: number; ended: number; ok: number }>();
  for (const c of convs) {
    const key = c.started_at.slice(0, monthly ? 7 : 10);
    const b = buckets.get(key) ?? { calls: 0, ended: 0, ok: 0 };
    b.calls++;
    if (c.status !== 'ongoing') b.ended++;
    if (c.status === 'success') b.ok++;
    buckets.set(key, b);
  }
  const timeline = [...buckets.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, b]) => ({ date, calls: b.calls, success_rate: b.ended ? round2(b.ok / b.ended) : null }));

  const intents = new Map<string, number>();
  for (const c of convs) intents.set(c.intent, (intents.get(c.intent) ?? 0) + 1);
  const top_intents = [...intents.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 10)
    .map(([intent, count]) => ({ intent, count, percentage: round2(count / convs.length) }));

  const rated = convs.filter((c) => c.sentiment !== null);
  const share = (label: string) =>
    rated.length ? round2(rated.filter((c) => c.sentiment === label).length / rated.length) : 0;

  return {
    period,
    date_from: new Date(from).toISOString(),
    date_to: new Date(to).toISOString(),
    overview: {
      total_calls: convs.length,
      success_rate: ended.length ? round2(succeeded / ended.length) : 0,
      avg_duration: ended.length ? Math.round(totalDuration / ended.length) : 0,
      total_duration: totalDuration,
    },
    timeline,
    top_intents,
    sentiment: { positive: share('positive'), neutral: share('neutral'), negative: share('negative') },
  };
}
