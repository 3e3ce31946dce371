/**
 * The call view (`ui://voisa/call`) for `get_conversation` and `wait_for_call`: the transcript as
 * turns that move the recording to their time, the recording (read through the host, played from a
 * data: URL, which the spec's default CSP allows for media), summary, and status, sentiment and
 * success badges. A `wait_for_call` result carries no transcript: an ended call's conversation is
 * read with `get_conversation`; a call still in progress shows #pending and a "Check again" button.
 *
 * DOM contract (test/views relies on it):
 * - `ol#turns > li[data-turn]`, one per transcript turn, each focusable (tabindex=0), holding a
 *   `[data-speaker]` with the speaker and a `<time>`; activating one (click, Enter, Space) sets
 *   `audio#recording`.currentTime to the turn's offset in seconds (also in `data-offset`);
 * - `#summary`; badges `[data-badge="status"]`, `[data-badge="sentiment"]`, `[data-badge="success"]`
 *   (text, and the raw value in `data-value`); `#pending` shown while the call is in progress.
 *
 * Transcript text is what callers said: it only ever becomes text nodes.
 */
import './call.css';
import {
  byId,
  callTool,
  clock,
  dateTime,
  el,
  errorText,
  isRecord,
  num,
  resultText,
  showError,
  startView,
  str,
  type ToolResult,
} from './shared.js';

interface Turn {
  speaker: string;
  text: string;
  timestamp?: string;
}

/** `wait_for_call`'s structured result. */
interface WaitOutcome {
  conversation_id?: string;
  ended: boolean;
  status: string;
  success?: boolean;
  sentiment?: string;
  summary?: string;
}

const turns = byId<HTMLOListElement>('turns');
const audio = byId<HTMLAudioElement>('recording');
const audioStatus = byId('audio-status');
const pending = byId('pending');
const checkAgain = byId<HTMLButtonElement>('check-again');
const status = byId('status');

/** The tool's arguments, for "Check again". */
let args: Record<string, unknown> = {};
/** The last wait_for_call outcome, while the call it follows is not over. */
let waiting: WaitOutcome | undefined;
/** The conversation on screen, and the one whose recording was asked for. */
let conversationId: string | undefined;
let recordingOf: string | undefined;
/** Where the reader last asked the recording to be; applied again once it has loaded. */
let lastSeek: number | undefined;
let checking = false;

const app = startView({
  name: 'voisa-call',
  onInput: (a) => {
    args = a;
  },
  onResult: show,
});

async function show(result: ToolResult): Promise<void> {
  if (result.isError) {
    showError(resultText(result) || 'The tool failed.');
    return;
  }
  showError('');
  const data = result.structuredContent ?? {};
  if (typeof data.ended === 'boolean') await showOutcome(data as unknown as WaitOutcome);
  else showConversation(data);
}

async function showOutcome(o: WaitOutcome): Promise<void> {
  renderBadges(o.status, str(o.sentiment), typeof o.success === 'boolean' ? o.success : undefined, !o.ended);
  if (o.summary) byId('summary').textContent = o.summary;
  if (o.conversation_id) conversationId = o.conversation_id;
  if (!o.ended) {
    waiting = o;
    setPending(true, o.status);
    byId('title').textContent = 'Call in progress';
    byId('meta').textContent = o.conversation_id ?? '';
    renderTurns([], undefined, undefined);
    audioStatus.textContent = 'The recording comes when the call ends.';
    return;
  }
  waiting = undefined;
  setPending(false);
  if (!o.conversation_id) return;
  const r = await callTool(app, 'get_conversation', { conversation_id: o.conversation_id });
  if (r.isError) {
    showError(`The call is over, but its conversation could not be read: ${resultText(r)}`);
    return;
  }
  showConversation(r.structuredContent ?? {}, o);
}

function showConversation(c: Record<string, unknown>, outcome?: WaitOutcome): void {
  const id = str(c.id);
  conversationId = id ?? conversationId;
  const callStatus = str(c.status) ?? outcome?.status;
  const ongoing = callStatus === 'ongoing';
  const success =
    outcome?.success ?? (callStatus === 'success' ? true : callStatus === 'failed' ? false : undefined);
  renderBadges(callStatus, str(c.sentiment) ?? outcome?.sentiment, success, ongoing);
  setPending(ongoing, callStatus);

  const phone = str(c.phone_number);
  byId('title').textContent = phone ? `Call with ${phone}` : `Call ${id ?? ''}`.trim();
  const duration = num(c.duration);
  byId('meta').textContent = [
    dateTime(str(c.started_at)),
    duration !== undefined && !ongoing ? clock(duration) : undefined,
    id,
  ]
    .filter(Boolean)
    .join(' · ');
  const summary = str(c.summary) ?? outcome?.summary;
  byId('summary').textContent =
    summary || (ongoing ? 'No summary yet: the call is in progress.' : 'No summary.');

  renderTurns(Array.isArray(c.transcript) ? c.transcript.filter(isTurn) : [], str(c.started_at), duration);
  renderDetails(c);
  if (id && !ongoing && recordingOf !== id) void loadRecording(id);
}

function isTurn(t: unknown): t is Turn {
  return isRecord(t) && typeof t.speaker === 'string' && typeof t.text === 'string';
}

const TONES: Record<string, string> = {
  success: 'ok',
  failed: 'bad',
  ongoing: 'info',
  positive: 'ok',
  negative: 'bad',
  true: 'ok',
  false: 'bad',
};

function badge(name: string, value: string, text: string): void {
  const node = document.querySelector<HTMLElement>(`[data-badge="${name}"]`)!;
  node.textContent = text;
  node.dataset.value = value;
  const tone = TONES[value];
  if (tone) node.dataset.tone = tone;
  else delete node.dataset.tone;
}

function renderBadges(
  callStatus: string | undefined,
  sentiment: string | undefined,
  success: boolean | undefined,
  ongoing: boolean,
): void {
  badge('status', callStatus ?? '', callStatus ?? 'unknown');
  badge('sentiment', sentiment ?? '', sentiment ?? 'no sentiment');
  badge(
    'success',
    success === undefined ? '' : String(success),
    success === undefined
      ? ongoing
        ? 'not decided yet'
        : 'unknown'
      : success
        ? 'successful'
        : 'not successful',
  );
}

function setPending(on: boolean, callStatus?: string): void {
  // The button the reader pressed goes away with the box: keep their place on the page.
  if (!on && !pending.hidden && pending.contains(document.activeElement)) byId('title').focus();
  pending.hidden = !on;
  if (on) {
    byId('pending-text').textContent =
      `The call is still in progress${callStatus && callStatus !== 'ongoing' ? ` (${callStatus})` : ''}: ` +
      'its transcript and recording come when it ends.';
  }
}

const CLOCK = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;

/** A turn's offset in seconds: `hh:mm:ss`, `mm:ss`, plain seconds, or a date-time after the start. */
function offsetOf(stamp: string | undefined, startedAt: string | undefined): number | undefined {
  if (!stamp) return undefined;
  const s = stamp.trim();
  const hms = CLOCK.exec(s);
  if (hms) return Number(hms[1] ?? 0) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const at = Date.parse(s);
  const start = startedAt ? Date.parse(startedAt) : Number.NaN;
  return Number.isNaN(at) || Number.isNaN(start) ? undefined : Math.max(0, (at - start) / 1000);
}

function renderTurns(list: Turn[], startedAt: string | undefined, duration: number | undefined): void {
  turns.replaceChildren(
    ...list.map((t) => {
      const offset = offsetOf(t.timestamp, startedAt);
      const stamp = t.timestamp?.trim() ?? '';
      const shown = CLOCK.test(stamp) || offset === undefined ? stamp : clock(offset);
      return el(
        'li',
        {
          'data-turn': true,
          'data-offset': offset,
          'data-speaker-role': t.speaker === 'agent' ? 'agent' : 'caller',
          tabindex: 0,
          'aria-describedby': offset === undefined ? undefined : 'seek-hint',
        },
        el('span', { class: 'speaker', 'data-speaker': t.speaker }, t.speaker),
        ' ',
        el('time', { datetime: offset === undefined ? undefined : `PT${Math.round(offset)}S` }, shown),
        el('p', { class: 'text' }, t.text),
      );
    }),
  );
  byId('no-turns').hidden = list.length > 0;
  captions(list, startedAt, duration);
}

/** The transcript as WebVTT captions of the recording (a data: URL, like the recording). */
function captions(list: Turn[], startedAt: string | undefined, duration: number | undefined): void {
  const track = byId<HTMLTrackElement>('captions');
  const timed = list
    .map((t) => ({ ...t, at: offsetOf(t.timestamp, startedAt) }))
    .filter((t): t is Turn & { at: number } => t.at !== undefined);
  if (!timed.length) {
    track.removeAttribute('src');
    return;
  }
  const stamp = (s: number) => new Date(Math.max(0, s) * 1000).toISOString().slice(11, 23);
  const safe = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const cues = timed.map((t, i) => {
    const end = timed[i + 1]?.at ?? Math.max(t.at + 1, duration ?? t.at + 5);
    return `${stamp(t.at)} --> ${stamp(Math.max(end, t.at + 0.5))}\n${safe(`${t.speaker}: ${t.text}`)}`;
  });
  track.src = `data:text/vtt;charset=utf-8,${encodeURIComponent(`WEBVTT\n\n${cues.join('\n\n')}\n`)}`;
}

function renderDetails(c: Record<string, unknown>): void {
  const rows: [string, string][] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) rows.push([label, value]);
  };
  add('Agent', str(c.agent_id));
  add('Phone number', str(c.phone_number));
  add('Started', dateTime(str(c.started_at)));
  add('Ended', dateTime(str(c.ended_at)));
  const meta = isRecord(c.metadata) ? c.metadata : {};
  if (Array.isArray(meta.tools_used) && meta.tools_used.length) add('Tools used', meta.tools_used.join(', '));
  if (isRecord(meta.data_collected)) {
    for (const [key, value] of Object.entries(meta.data_collected)) {
      add(key.replace(/_/g, ' '), typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  byId('details').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  byId('details-section').hidden = rows.length === 0;
}

// --- the recording ---------------------------------------------------------------------------

function audioType(type: string | undefined): string {
  return type && /^audio\/[\w.+-]+$/.test(type) ? type : 'audio/mpeg';
}

/** Through the host: the recording resource (up to 10 MiB), else get_conversation_audio with inline (up to 1 MiB). */
async function loadRecording(id: string): Promise<void> {
  recordingOf = id;
  audioStatus.textContent = 'Loading the recording…';
  const fromResource = async () => {
    const r = await app.readServerResource({ uri: `voisa://conversations/${encodeURIComponent(id)}/audio` });
    const c = r.contents[0] as { blob?: unknown; mimeType?: string } | undefined;
    if (typeof c?.blob !== 'string') throw new Error('the resource holds no audio');
    return `data:${audioType(c.mimeType)};base64,${c.blob}`;
  };
  const fromTool = async () => {
    const r = await callTool(app, 'get_conversation_audio', { conversation_id: id, inline: true });
    if (r.isError) throw new Error(resultText(r));
    const clip = r.content?.find(
      (c) => c.type === 'resource' && typeof c.resource?.blob === 'string',
    )?.resource;
    if (!clip) throw new Error(resultText(r) || 'no audio in the result');
    return `data:${audioType(clip.mimeType)};base64,${clip.blob}`;
  };
  const caps = app.getHostCapabilities();
  const ways =
    caps?.serverResources || !caps?.serverTools ? [fromResource, fromTool] : [fromTool, fromResource];
  let problem = '';
  for (const way of ways) {
    try {
      const url = await way();
      if (recordingOf !== id) return; // another conversation came meanwhile
      audio.src = url;
      audioStatus.textContent = '';
      return;
    } catch (err) {
      problem = errorText(err);
    }
  }
  if (recordingOf === id) audioStatus.textContent = `The recording is not available: ${problem}`;
}

// --- turns move the recording ------------------------------------------------------------------

function seekTo(turn: HTMLElement): void {
  const offset = Number(turn.dataset.offset);
  if (turn.dataset.offset === undefined || !Number.isFinite(offset)) return;
  lastSeek = offset;
  audio.currentTime = offset;
  markCurrent(turn);
  status.textContent = `Recording at ${clock(offset)}`;
}

function markCurrent(turn: Element | undefined): void {
  for (const t of turns.querySelectorAll('[aria-current]')) if (t !== turn) t.removeAttribute('aria-current');
  turn?.setAttribute('aria-current', 'true');
}

turns.addEventListener('click', (e) => {
  const turn = (e.target as Element).closest<HTMLElement>('li[data-turn]');
  if (turn) seekTo(turn);
});
turns.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  const turn = (e.target as Element).closest<HTMLElement>('li[data-turn]');
  if (!turn) return;
  e.preventDefault(); // Space would scroll
  seekTo(turn);
});
// Loading a source starts at 0: go back to where the reader asked.
audio.addEventListener('loadedmetadata', () => {
  if (lastSeek !== undefined) audio.currentTime = lastSeek;
});
// While it plays, the turn being heard is marked.
audio.addEventListener('timeupdate', () => {
  if (audio.paused) return;
  let current: Element | undefined;
  for (const t of turns.querySelectorAll<HTMLElement>('li[data-offset]')) {
    if (Number(t.dataset.offset) <= audio.currentTime + 0.05) current = t;
  }
  markCurrent(current);
});

checkAgain.addEventListener('click', async () => {
  if (checking) return;
  checking = true;
  checkAgain.setAttribute('aria-disabled', 'true');
  status.textContent = 'Checking the call…';
  try {
    const r = waiting
      ? await callTool(app, 'wait_for_call', {
          ...(Object.keys(args).length ? args : { conversation_id: waiting.conversation_id }),
          wait_seconds: 20,
        })
      : await callTool(app, 'get_conversation', { conversation_id: conversationId ?? args.conversation_id });
    await show(r);
    status.textContent = r.isError
      ? 'The check failed.'
      : pending.hidden
        ? 'The call is over.'
        : 'Still in progress.';
  } finally {
    checking = false;
    checkAgain.removeAttribute('aria-disabled');
  }
});
