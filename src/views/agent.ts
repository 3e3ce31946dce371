/**
 * The agent view (`ui://voisa/agent`) for `get_agent`: the agent's settings as a form. Save sends
 * `update_agent` through the host with only the fields that changed; before that, the changes are
 * checked with update_agent's own input schema (UpdateAgentRequest, src/voisa/schemas), whose
 * messages appear next to their fields. The form itself (kinds, choices, ranges) is read from the
 * same schema; only the labels are written here.
 *
 * DOM contract (test/views relies on it):
 * - `form#agent`; each control's `name` is the update_agent field path, one of FIELDS below;
 * - `button[type=submit]` "Save";
 * - per-field messages in `[role="alert"][data-field="<name>"]` (empty when the field is fine);
 * - `#status` (role=status): "Saved" after update_agent succeeds, or the text of its error result.
 */
import './agent.css';
import { UpdateAgentRequest } from '../voisa/schemas/agents.js';
import {
  byId,
  callTool,
  el,
  isRecord,
  resultText,
  showError,
  startView,
  str,
  type ToolResult,
} from './shared.js';

/** The form's fields: update_agent field paths, with their labels, in the order shown. */
const FIELDS = [
  ['name', 'Name'],
  ['description', 'Description'],
  ['industry', 'Industry'],
  ['status', 'Status'],
  ['config.voice.provider', 'Voice provider'],
  ['config.voice.voice_id', 'Voice id'],
  ['config.voice.settings.stability', 'Voice stability'],
  ['config.voice.settings.speed', 'Speaking speed'],
  ['config.conversation.first_message', 'First message'],
  ['config.conversation.system_prompt', 'System prompt'],
  ['config.conversation.model', 'Model'],
  ['config.conversation.temperature', 'Temperature'],
  ['config.turn_detection.mode', 'Turn detection'],
  ['config.turn_detection.timeout', 'Silence that ends a turn (seconds)'],
  ['config.turn_detection.end_call_on_silence', 'Silence that ends the call (seconds)'],
  ['config.privacy.retention_days', 'Keep data for (days)'],
  ['config.privacy.zero_retention', 'Keep no transcript or audio'],
  ['config.privacy.delete_audio', 'Delete recordings'],
] as const;

/** Fieldsets, in order: the top-level fields, then each part of `config`. */
const GROUPS: [legend: string, prefix: string][] = [
  ['Agent', ''],
  ['Voice', 'config.voice.'],
  ['Conversation', 'config.conversation.'],
  ['Turn detection', 'config.turn_detection.'],
  ['Privacy', 'config.privacy.'],
];

/** Long texts get a text area. */
const TEXT_AREAS: Record<string, number> = {
  description: 2,
  'config.conversation.first_message': 2,
  'config.conversation.system_prompt': 8,
};

/** The part of a zod schema the form reads (zod 4 classic). */
interface SchemaNode {
  def: { type: string; shape?: Record<string, SchemaNode>; innerType?: SchemaNode };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  options?: string[];
}

type Kind = 'text' | 'textarea' | 'number' | 'checkbox' | 'select';

interface Field {
  name: string;
  label: string;
  kind: Kind;
  options: string[];
  min?: number;
  max?: number;
  int: boolean;
  id: string;
}

function unwrap(node: SchemaNode): SchemaNode {
  let n = node;
  while (
    (n.def.type === 'optional' || n.def.type === 'nullable' || n.def.type === 'default') &&
    n.def.innerType
  )
    n = n.def.innerType;
  return n;
}

/** The schema of one field path of update_agent's input. */
function schemaAt(path: string): SchemaNode {
  let node = UpdateAgentRequest as unknown as SchemaNode;
  for (const key of path.split('.')) {
    const next = unwrap(node).def.shape?.[key];
    if (!next) throw new Error(`update_agent has no field ${path}`);
    node = next;
  }
  return unwrap(node);
}

const fields: Field[] = FIELDS.map(([name, label]) => {
  const s = schemaAt(name);
  const type = s.def.type;
  const kind: Kind =
    type === 'enum'
      ? 'select'
      : type === 'number'
        ? 'number'
        : type === 'boolean'
          ? 'checkbox'
          : name in TEXT_AREAS
            ? 'textarea'
            : 'text';
  const finite = (v: number | null | undefined) =>
    typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
  return {
    name,
    label,
    kind,
    options: s.options ?? [],
    min: finite(s.minValue),
    max: finite(s.maxValue),
    int: s.isInt === true,
    id: `f-${name.replace(/\W/g, '-')}`,
  };
});

const form = byId<HTMLFormElement>('agent');
const status = byId('status');
let agentId: string | undefined;
/** What each control held when the agent was last read or saved. */
let baseline = new Map<string, string>();
let saving = false;

const app = startView({
  name: 'voisa-agent',
  onInput: (args) => {
    agentId = str(args.agent_id) ?? agentId;
  },
  onResult: (result: ToolResult) => {
    if (result.isError) {
      showError(resultText(result) || 'The tool failed.');
      return;
    }
    showError('');
    fill(result.structuredContent ?? {});
  },
});

// --- building the form ------------------------------------------------------------------------

function control(f: Field): HTMLElement {
  const described = `${f.id}-hint ${f.id}-error`;
  const common = { id: f.id, name: f.name, 'aria-describedby': described };
  switch (f.kind) {
    case 'textarea':
      return el('textarea', { ...common, rows: TEXT_AREAS[f.name] ?? 3 });
    case 'number':
      return el('input', {
        ...common,
        type: 'number',
        inputmode: 'decimal',
        min: f.min,
        max: f.max,
        step: f.int ? 1 : 'any',
      });
    case 'checkbox':
      return el('input', { ...common, type: 'checkbox' });
    case 'select':
      return el('select', common, ...f.options.map((o) => el('option', { value: o }, o)));
    default:
      return el('input', { ...common, type: 'text', autocomplete: 'off' });
  }
}

function hint(f: Field): string {
  if (f.kind !== 'number') return '';
  if (f.min !== undefined && f.max !== undefined)
    return `${f.min} to ${f.max}${f.int ? ', whole number' : ''}`;
  return f.int ? 'A whole number' : '';
}

function fieldBlock(f: Field): HTMLElement {
  const label = el('label', { for: f.id }, f.label);
  const input = control(f);
  return el(
    'div',
    { class: `field field-${f.kind}` },
    ...(f.kind === 'checkbox' ? [input, label] : [label, input]),
    el('p', { class: 'hint', id: `${f.id}-hint` }, hint(f)),
    el('p', { class: 'field-error', role: 'alert', 'data-field': f.name, id: `${f.id}-error` }),
  );
}

const groupOf = (f: Field) =>
  GROUPS.find(([, prefix]) => prefix && f.name.startsWith(prefix))?.[0] ?? 'Agent';
byId('fields').replaceChildren(
  ...GROUPS.map(([legend]) =>
    el(
      'fieldset',
      {},
      el('legend', {}, legend),
      ...fields.filter((f) => groupOf(f) === legend).map(fieldBlock),
    ),
  ),
);

function input(f: Field): HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
  return byId(f.id);
}

// --- filling it from the agent ----------------------------------------------------------------

function valueAt(agent: Record<string, unknown>, path: string): unknown {
  let v: unknown = agent;
  for (const key of path.split('.')) v = isRecord(v) ? v[key] : undefined;
  return v;
}

/** The control's state as a comparable string. */
function current(f: Field): string {
  const c = input(f);
  return f.kind === 'checkbox' ? String((c as HTMLInputElement).checked) : c.value;
}

function fill(agent: Record<string, unknown>): void {
  agentId = str(agent.id) ?? agentId;
  const name = str(agent.name);
  byId('title').textContent = name ? `Agent ${name}` : 'Agent';
  byId('meta').textContent = [agentId, str(agent.status)].filter(Boolean).join(' · ');
  for (const f of fields) {
    const value = valueAt(agent, f.name);
    const c = input(f);
    if (f.kind === 'checkbox') (c as HTMLInputElement).checked = value === true;
    else if (f.kind === 'select') {
      const select = c as HTMLSelectElement;
      select.querySelector('option[data-extra]')?.remove();
      const text = typeof value === 'string' ? value : '';
      // A value update_agent cannot set (a `training` status, no turn mode yet): shown, not offered.
      if (!f.options.includes(text)) {
        select.prepend(el('option', { value: text, disabled: true, 'data-extra': true }, text || 'not set'));
      }
      select.value = text;
    } else c.value = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
  }
  baseline = new Map(fields.map((f) => [f.name, current(f)]));
  clearMessages();
}

// --- saving -----------------------------------------------------------------------------------

/** Only what changed, nested as update_agent takes it. */
function changes(): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const now = current(f);
    if (now === baseline.get(f.name)) continue;
    const value =
      f.kind === 'checkbox'
        ? now === 'true'
        : f.kind === 'number'
          ? now.trim() === ''
            ? Number.NaN
            : Number(now)
          : now;
    const keys = f.name.split('.');
    let at = body;
    for (const key of keys.slice(0, -1)) {
      at[key] = isRecord(at[key]) ? at[key] : {};
      at = at[key] as Record<string, unknown>;
    }
    at[keys.at(-1)!] = value;
  }
  return body;
}

function clearMessages(): void {
  for (const f of fields) {
    byId(`${f.id}-error`).textContent = '';
    input(f).removeAttribute('aria-invalid');
  }
}

function setStatus(text: string, tone: 'ok' | 'bad' | '' = ''): void {
  status.textContent = text;
  if (tone) status.dataset.tone = tone;
  else delete status.dataset.tone;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (saving) return;
  clearMessages();
  if (!agentId) {
    setStatus('This view did not receive an agent to save.', 'bad');
    return;
  }
  const body = changes();
  if (!Object.keys(body).length) {
    setStatus('Nothing to save: no field changed.');
    return;
  }
  const checked = UpdateAgentRequest.safeParse(body);
  if (!checked.success) {
    const unplaced: string[] = [];
    let first: HTMLElement | undefined;
    for (const issue of checked.error.issues) {
      const f = fields.find((x) => x.name === issue.path.join('.'));
      if (!f) {
        unplaced.push(`${issue.path.join('.')}: ${issue.message}`);
        continue;
      }
      const box = byId(`${f.id}-error`);
      box.textContent = box.textContent ? `${box.textContent} ${issue.message}` : issue.message;
      input(f).setAttribute('aria-invalid', 'true');
      first ??= input(f);
    }
    setStatus(
      unplaced.length ? `Not saved: ${unplaced.join('; ')}` : 'Not saved: check the marked fields.',
      'bad',
    );
    first?.focus();
    return;
  }
  saving = true;
  form.setAttribute('aria-busy', 'true');
  setStatus('Saving…');
  try {
    const result = await callTool(app, 'update_agent', { agent_id: agentId, ...checked.data });
    if (result.isError) {
      setStatus(resultText(result) || 'update_agent failed.', 'bad');
      return;
    }
    const saved = result.structuredContent;
    if (saved && isRecord(saved.config)) fill(saved);
    else baseline = new Map(fields.map((f) => [f.name, current(f)]));
    setStatus('Saved', 'ok');
  } finally {
    saving = false;
    form.removeAttribute('aria-busy');
  }
});

// Editing after a save: the old verdict no longer applies.
form.addEventListener('input', () => {
  if (status.dataset.tone === 'ok') setStatus('');
});
