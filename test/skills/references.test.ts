/**
 * Every skill under skills/ (served through the SDK's skills extension) names only what exists: its
 * frontmatter is what the Agent Skills format asks for, and every tool, argument or result field,
 * prompt, resource URI, error code and other skill it writes in backticks is one this server has. A
 * skill that names `make_calls` would send a model after a tool that is not there, so the checker
 * accepts only known names (a misspelling fails: see the last test), rather than guessing which
 * words look like tools. Each SKILL.md also stays small: it is read into a model's context.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UriTemplate } from '@modelcontextprotocol/server';
import { loadSkills } from '@modelcontextprotocol/server/ext/skills/node';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POLICY_CODES } from '../../src/policy/policy.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { REACH } from '../../src/tools/scopes.js';
import { ERROR_CODES } from '../../src/voisa/index.js';

const SKILLS_DIR = path.resolve(import.meta.dirname, '../../skills');
const SKILLS = readdirSync(SKILLS_DIR).filter((d) => statSync(path.join(SKILLS_DIR, d)).isDirectory());
const MAX_TOKENS = 600;

/** Words a skill may put in backticks that are none of the server's names (keep this list short). */
const ALLOWED = new Set<string>([]);

// --- what the server has ---

/** Property names and enum values anywhere in a JSON Schema (nested objects, arrays, unions). */
function collect(node: unknown, names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, names);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (obj.properties && typeof obj.properties === 'object') {
    for (const key of Object.keys(obj.properties)) names.add(key);
  }
  if (Array.isArray(obj.enum)) for (const v of obj.enum) if (typeof v === 'string') names.add(v);
  for (const value of Object.values(obj)) collect(value, names);
}

/** Every argument and result field (at any depth) and every enum value of the catalogue's tools. */
function fieldNames(): Set<string> {
  const names = new Set<string>();
  for (const tool of CATALOGUE) {
    collect(z.toJSONSchema(z.object(tool.input), { io: 'input', unrepresentable: 'any' }), names);
    collect(z.toJSONSchema(tool.output, { io: 'output', unrepresentable: 'any' }), names);
  }
  return names;
}

interface Known {
  tools: ReadonlySet<string>;
  prompts: ReadonlySet<string>;
  fields: ReadonlySet<string>;
  codes: ReadonlySet<string>;
  skills: ReadonlySet<string>;
  /** Fixed URIs and URI templates the server serves (resources, templates, views). */
  uris: readonly string[];
}

const KNOWN: Known = {
  tools: new Set(CATALOGUE.map((t) => t.name)),
  prompts: new Set(REACH.filter((r) => r.kind === 'prompt').map((r) => r.id)),
  fields: fieldNames(),
  codes: new Set<string>([...ERROR_CODES, ...POLICY_CODES]),
  skills: new Set(SKILLS),
  uris: REACH.filter((r) => r.kind === 'resource' || r.kind === 'template' || r.kind === 'view').map(
    (r) => r.id,
  ),
};

// --- the checker ---

const SNAKE = /^[a-z][a-z0-9_]*$/;
const DOTTED = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const CODE_FAMILY = /^([A-Z][A-Z0-9]*_)\*$/;
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)+$/;
const URI = /\b(?:voisa|ui):\/\/[^\s`'"),]+/g;

/** A URI the server serves: one of its fixed URIs, or an instance (or the text) of one of its templates. */
function served(uri: string, known: Known): boolean {
  return known.uris.some((u) => u === uri || (u.includes('{') && new UriTemplate(u).match(uri) !== null));
}

function knownWord(word: string, known: Known): boolean {
  return known.tools.has(word) || known.prompts.has(word) || known.fields.has(word) || ALLOWED.has(word);
}

/** Markdown without its fenced code blocks (their JSON is checked against the tool's schema instead). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, '');
}

/** What a skill's text names that this server does not have, one line each; empty when all exist. */
function unknownReferences(markdown: string, known: Known = KNOWN): string[] {
  const problems: string[] = [];
  const text = prose(markdown);
  for (const [, inline] of text.matchAll(/`([^`\n]+)`/g)) {
    const word = (inline ?? '').trim();
    if (SNAKE.test(word)) {
      if (!knownWord(word, known)) problems.push(`\`${word}\` is no tool, prompt or field of this server`);
    } else if (DOTTED.test(word)) {
      // An event name (`conversation.failed`) is an enum value; a path (`config.turn_detection`) is fields.
      if (!known.fields.has(word) && !word.split('.').every((w) => knownWord(w, known))) {
        problems.push(`\`${word}\` is no field path or value of this server`);
      }
    } else if (CODE.test(word)) {
      if (!known.codes.has(word)) problems.push(`\`${word}\` is no VOISA or policy error code`);
    } else if (CODE_FAMILY.test(word)) {
      const prefix = CODE_FAMILY.exec(word)?.[1] ?? '';
      if (![...known.codes].some((c) => c.startsWith(prefix))) problems.push(`\`${word}\` names no codes`);
    } else if (KEBAB.test(word)) {
      if (!known.skills.has(word)) problems.push(`\`${word}\` is no skill of skills/`);
    }
  }
  for (const [match] of text.matchAll(URI)) {
    const uri = match.replace(/[.;:]+$/, '');
    if (!served(uri, known)) problems.push(`${uri} is no resource, template or view of this server`);
  }
  // `prompt design_agent` or prompt `design_agent` (an underscore: "the prompt or …" is prose).
  for (const [, name] of text.matchAll(/\bprompt `?([a-z][a-z0-9]*_[a-z0-9_]*)`?/g)) {
    if (!known.prompts.has(name ?? '')) problems.push(`prompt ${name} does not exist`);
  }
  return problems;
}

// --- reading a skill ---

interface Skill {
  frontmatter: Record<string, string>;
  body: string;
  text: string;
}

/** The simple YAML the format uses: `key: value` lines between `---` lines, values optionally quoted. */
function parseSkill(text: string): Skill {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error('SKILL.md does not start with a --- frontmatter block');
  const frontmatter: Record<string, string> = {};
  for (const line of (m[1] ?? '').split('\n')) {
    const kv = /^([a-z][a-z0-9_-]*):\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`frontmatter line is not "key: value": ${line}`);
    const raw = (kv[2] ?? '').trim();
    // As in YAML (and the SDK's loader): a plain, unquoted value cannot hold ": ".
    if (!/^["']/.test(raw) && raw.includes(': ')) throw new Error(`unquoted value with ": ": ${line}`);
    frontmatter[kv[1] ?? ''] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return { frontmatter, body: m[2] ?? '', text };
}

function readSkill(name: string): Skill {
  return parseSkill(readFileSync(path.join(SKILLS_DIR, name, 'SKILL.md'), 'utf8'));
}

/** Fenced blocks written ```json <tool>: arguments for that tool. */
function exampleArguments(markdown: string): { tool: string; json: string }[] {
  return [...markdown.matchAll(/^```json[ \t]+([a-z_]+)[ \t]*\n([\s\S]*?)^```/gm)].map((m) => ({
    tool: m[1] ?? '',
    json: m[2] ?? '',
  }));
}

const o200k = getEncoding('o200k_base');

describe('skills/', () => {
  it('holds the five skills of issue 24', () => {
    expect([...SKILLS].sort()).toEqual([
      'debug-a-failed-call',
      'design-voice-agent',
      'place-and-follow-calls',
      'review-calls-and-improve',
      'test-and-tune-agent',
    ]);
  });

  it('loads in the SDK skills extension as skill://<folder>/SKILL.md, strictly', async () => {
    const catalog = await loadSkills(SKILLS_DIR, { strict: true });
    expect(catalog.entries.map((s) => s.uri).sort()).toEqual(
      SKILLS.map((d) => `skill://${d}/SKILL.md`).sort(),
    );
  });

  it('test_agent is in the catalogue (the skills send models to it)', () => {
    expect(KNOWN.tools.has('test_agent')).toBe(true);
  });
});

describe.each(SKILLS)('skill %s', (name) => {
  it('has a SKILL.md whose frontmatter names its folder and says when to use it', () => {
    const { frontmatter, body } = readSkill(name);
    expect(Object.keys(frontmatter).sort()).toEqual(['description', 'name']);
    expect(frontmatter.name).toBe(name);
    expect(frontmatter.description?.length).toBeGreaterThan(20);
    expect(frontmatter.description?.length).toBeLessThanOrEqual(1024);
    expect(body.trim().length).toBeGreaterThan(0);
  });

  it('names only tools, prompts, fields, codes, skills and URIs that exist', () => {
    expect(unknownReferences(readSkill(name).text)).toEqual([]);
  });

  it('gives example arguments its tools accept', () => {
    for (const { tool, json } of exampleArguments(readSkill(name).text)) {
      const def = CATALOGUE.find((t) => t.name === tool);
      expect(def, `tool ${tool} of a json example`).toBeDefined();
      if (!def) continue;
      const parsed = z.object(def.input).safeParse(JSON.parse(json));
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  it(`stays under ${MAX_TOKENS} o200k tokens`, () => {
    expect(o200k.encode(readSkill(name).text).length).toBeLessThan(MAX_TOKENS);
  });
});

describe('the reference checker', () => {
  it('catches misspelled tools, unknown URIs, prompts, codes and skills', () => {
    const text = [
      'Call `make_calls`, then `list_agent` and `wait_for_call` with `call_id`.',
      'Read voisa://agent/agt_1 and `voisa://conversations/{conversation_id}/transcripts`.',
      'Or use prompt `design_agents`; on `POLICY_QUIET_HOUR` see skill `debug-failed-call`.',
    ].join('\n');
    expect(unknownReferences(text)).toEqual([
      '`make_calls` is no tool, prompt or field of this server',
      '`list_agent` is no tool, prompt or field of this server',
      '`design_agents` is no tool, prompt or field of this server',
      '`POLICY_QUIET_HOUR` is no VOISA or policy error code',
      '`debug-failed-call` is no skill of skills/',
      'voisa://agent/agt_1 is no resource, template or view of this server',
      'voisa://conversations/{conversation_id}/transcripts is no resource, template or view of this server',
      'prompt design_agents does not exist',
    ]);
  });

  it('accepts the names the server has', () => {
    const text =
      'Read `voisa://policy`, voisa://agents/agt_1 and ui://voisa/call; `make_call`, then `wait_for_call` while `ended` is false; `config.turn_detection`, `conversation.failed`, `RESOURCE_LOCKED`, `POLICY_*`, prompt `agent_report`, skill `debug-a-failed-call`.';
    expect(unknownReferences(text)).toEqual([]);
  });
});
