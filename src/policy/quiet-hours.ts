/**
 * Quiet hours in the callee's local time: a window such as 21:00–08:00 (across midnight) or 12:00–14:00,
 * checked in every time zone the number may ring in. A call is allowed only when it is allowed in all
 * of them, and the earliest such moment is what a refusal names.
 */

export interface QuietHours {
  /** `HH:MM`, 24-hour, local time of the callee. */
  start: string;
  end: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_S = 86_400;
/** How far ahead to look for a moment outside quiet hours in every zone. */
const HORIZON_MS = 2 * DAY_S * 1000;

export function isClockTime(value: string): boolean {
  return HHMM.test(value);
}

function secondsOf(hhmm: string): number {
  const [, h, m] = HHMM.exec(hhmm)!;
  return Number(h) * 3600 + Number(m) * 60;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Seconds since local midnight in `zone` at `at`; throws RangeError for a zone this Node does not know. */
export function localSeconds(zone: string, at: number): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
}

/** `HH:MM` local time in `zone` at `at`. */
export function localClock(zone: string, at: number): string {
  const s = localSeconds(zone, at);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

/** Seconds until the quiet window ends, or 0 when `local` (seconds since midnight) is outside it. */
function quietFor(local: number, start: number, end: number): number {
  const inside = start < end ? local >= start && local < end : local >= start || local < end;
  return inside ? (end - local + DAY_S) % DAY_S || DAY_S : 0;
}

export type QuietVerdict =
  | { quiet: false }
  /** `zones`: where it is quiet now; `allowedAt`: when no zone is (undefined: not within two days). */
  | { quiet: true; zones: string[]; allowedAt?: number };

/**
 * Whether `at` falls in quiet hours in any of `zones`, and if so the first moment it falls in none. Each
 * step jumps to the latest end of the windows quiet at that moment and looks again, since a zone further
 * east or west may have entered its own window by then; a DST change is caught the same way.
 */
export function quietHours(window: QuietHours, zones: readonly string[], at: number): QuietVerdict {
  const start = secondsOf(window.start);
  const end = secondsOf(window.end);
  /** How long each zone is still quiet at `t` (0: outside its window). */
  const waits = (t: number) => zones.map((z) => quietFor(localSeconds(z, t), start, end));
  let left = waits(at);
  const quietNow = zones.filter((_, i) => left[i]! > 0);
  if (quietNow.length === 0) return { quiet: false };
  let t = at;
  for (;;) {
    const wait = Math.max(...left);
    if (wait === 0) return { quiet: true, zones: quietNow, allowedAt: t };
    // Local times are read to the second: the window ends `wait` seconds after this whole second.
    t = Math.floor(t / 1000) * 1000 + wait * 1000;
    if (t - at > HORIZON_MS) return { quiet: true, zones: quietNow };
    left = waits(t);
  }
}
