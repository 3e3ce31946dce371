/**
 * Runs the plan (test/clients/plan.ts) through one framework's real agent loop against the stand-in
 * model, and tallies "client × (tools, calls, next-turn conversions)" for the closing table.
 *
 * For every step the stand-in is told to ask for the step's tool with the step's arguments; `turn`
 * runs one agent turn the framework's way (the model asks, the framework calls the tool through its
 * MCP client, converts the result and sends the next model request). The step counts as
 * - a call OK when the framework got the tool's result and it is not an error (`observe` is handed
 *   what the framework's tool returned: an observer on its tool, nothing replaced); for a refusal step
 *   (`step.refusal`) when it is an error whose text starts with the step's code,;
 * - a next-turn conversion OK when the turn did not throw, the stand-in accepted every request of the
 *   turn (none answered 400), the request after the tool call carries that call's result (its id), and
 *   the result added at most `RESULT_BUDGET_BYTES` to it unless the step asked for the bytes; for a
 *   refusal step that request also carries the refusal's code (the model is told why).
 */
import { expect } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { type ListedTool, type PlanResults, type PlanStep, planSteps, resultData } from './plan.js';
import type { StandInModel } from './stand-in-model.js';

/** A tool result as a framework hands it back: MCP's fields, or the structured value alone (Mastra). */
export interface SeenResult {
  content?: { type: string; text?: string; [k: string]: unknown }[];
  structuredContent?: unknown;
  isError?: boolean;
}

export interface Tally {
  /** e.g. "ai-sdk openai.chat 2026-07-28". */
  label: string;
  /** Tools the framework offered its model / tools the server listed. */
  tools: number;
  listed: number;
  steps: number;
  calls: number;
  conversions: number;
  /** Of the tools offered, how many with a strict schema (when the framework asks for strict mode). */
  strict?: number;
  /** Confirmation questions the framework answered. */
  asked: number;
  /** One line per failed step: which check and why. */
  failures: string[];
  /** Per step: the result's content block types as the framework saw them (for the report). */
  contentTypes: Record<string, string>;
  /** The largest request that carried a tool result: its step and size in bytes. */
  largest: { step: string; bytes: number };
}

export interface PlanRun {
  label: string;
  model: StandInModel;
  /** The tools as the server listed them (names and input schemas). */
  listed: readonly ListedTool[];
  /** How many tools the framework offers its model. */
  offered: number;
  /** One agent turn for this step; call `observe` with what the framework's tool returned. */
  turn(step: PlanStep, args: Record<string, unknown>, observe: (result: SeenResult) => void): Promise<void>;
  /** How many confirmation questions the framework has answered so far. */
  asked?(): number;
}

/**
 * What one result may add to the next model request unless the caller asked for bytes (`inline`):
 * 64 KiB, about 16k tokens. A recording sent by default (an `audio` block: 288 kB of MP3 is 384 kB of
 * base64, which these frameworks pass to the model as text) spends a model's context on bytes nobody
 * asked for.
 */
export const RESULT_BUDGET_BYTES = 64 * 1024;

function message(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string }; responseBody?: string };
  const parts = [e?.message ?? String(err)];
  if (e?.cause?.message) parts.push(`cause: ${e.cause.message}`);
  if (e?.responseBody) parts.push(`body: ${e.responseBody.slice(0, 300)}`);
  return parts.join(' | ').slice(0, 600);
}

/** The data a step returned, for the steps after it: its structured content, else its JSON text. */
function dataOf(seen: SeenResult): Record<string, any> {
  const s = seen.structuredContent;
  if (s && typeof s === 'object' && !Array.isArray(s)) return s as Record<string, any>;
  const texts = (seen.content ?? []).filter((c) => c.type === 'text').map((c) => String(c.text));
  return resultData(texts);
}

export async function runPlan(run: PlanRun): Promise<Tally> {
  const { model } = run;
  const steps = planSteps(run.listed);
  const results: PlanResults = {};
  const tally: Tally = {
    label: run.label,
    tools: run.offered,
    listed: run.listed.length,
    steps: steps.length,
    calls: 0,
    conversions: 0,
    asked: 0,
    failures: [],
    contentTypes: {},
    largest: { step: '', bytes: 0 },
  };
  for (const step of steps) {
    let args: Record<string, unknown>;
    try {
      args = step.args(results);
    } catch (err) {
      tally.failures.push(`${step.id}: no arguments (an earlier step failed): ${message(err)}`);
      continue;
    }
    const from = model.requests.length;
    const token = model.nextToolCall(step.tool, args);
    let seen: SeenResult | undefined;
    let threw: unknown;
    try {
      await run.turn(step, args, (result) => {
        seen = result;
      });
    } catch (err) {
      threw = err;
    }
    const pending = model.pending().length;
    if (pending) model.reset();
    const turnRequests = model.requests
      .slice(from)
      .filter((r) => r.api !== 'other' && r.api !== 'count_tokens');

    if (seen === undefined) {
      tally.failures.push(
        `${step.id}: call: the framework never got the tool's result${pending ? ' (the model was not offered the tool)' : ''}${threw ? `; threw ${message(threw)}` : ''}`,
      );
      continue;
    }
    tally.contentTypes[step.id] = (seen.content ?? []).map((c) => c.type).join(',') || '(structured)';
    const text = (seen.content ?? []).map((c) => c.text ?? '').join(' ');
    if (step.refusal) {
      // A refusal step: the call must be refused with its code, and it has no data for later steps.
      if (!seen.isError)
        tally.failures.push(
          `${step.id}: call: went through, ${step.refusal} expected: ${JSON.stringify(seen).slice(0, 300)}`,
        );
      else if (!text.startsWith(step.refusal))
        tally.failures.push(`${step.id}: call: isError without ${step.refusal}: ${text.slice(0, 300)}`);
      else tally.calls++;
    } else if (seen.isError) {
      tally.failures.push(`${step.id}: call: isError: ${text.slice(0, 300)}`);
    } else {
      try {
        results[step.id] = dataOf(seen);
        tally.calls++;
      } catch (err) {
        tally.failures.push(`${step.id}: call: ${message(err)}`);
      }
    }

    const refused = turnRequests.filter((r) => r.status >= 400);
    const asked = turnRequests.findIndex(
      (r) => r.answer?.kind === 'tool_call' && r.answer.id.endsWith(token),
    );
    const next = asked >= 0 ? turnRequests[asked + 1] : undefined;
    if (threw) tally.failures.push(`${step.id}: next turn: threw ${message(threw)}`);
    else if (refused.length) tally.failures.push(`${step.id}: next turn: refused: ${refused[0]!.problem}`);
    else if (!next) tally.failures.push(`${step.id}: next turn: no model request followed the tool call`);
    else if (!JSON.stringify(next.body).includes(token))
      tally.failures.push(`${step.id}: next turn: the request after the tool call does not carry its result`);
    else if (step.refusal && !JSON.stringify(next.body).includes(step.refusal))
      tally.failures.push(
        `${step.id}: next turn: the request after the tool call does not carry the refusal (${step.refusal})`,
      );
    else {
      const bytes = JSON.stringify(next.body).length;
      if (bytes > tally.largest.bytes) tally.largest = { step: step.id, bytes };
      // What the result added to the conversation: the next request less the one that asked for the call.
      const added = bytes - JSON.stringify(turnRequests[asked]!.body).length;
      if (args.inline !== true && added > RESULT_BUDGET_BYTES)
        tally.failures.push(
          `${step.id}: next turn: the result adds ${Math.round(added / 1024)} KiB to the model request, nobody asked for bytes (budget ${RESULT_BUDGET_BYTES / 1024} KiB)`,
        );
      else tally.conversions++;
    }
  }
  tally.asked = run.asked?.() ?? 0;
  return tally;
}

/**
 * The answer of an app that shows the requested form and whose user presses Accept without changing
 * it: `accept`, with each field's default (what the form shows filled in).
 */
export function acceptForm(requestedSchema: unknown): {
  action: 'accept';
  content: Record<string, string | number | boolean>;
} {
  const properties = (requestedSchema as { properties?: Record<string, { default?: unknown }> } | undefined)
    ?.properties;
  const content: Record<string, string | number | boolean> = {};
  for (const [key, field] of Object.entries(properties ?? {})) {
    const value = field?.default;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      content[key] = value;
  }
  return { action: 'accept', content };
}

/** The steps whose result had blocks other than text, e.g. ` [non-text: get_conversation_audio=text,resource]`. */
function nonText(t: Tally): string {
  const rich = Object.entries(t.contentTypes).filter(([, types]) =>
    types.split(',').some((x) => x !== 'text'),
  );
  return rich.length ? ` [non-text: ${rich.map(([step, types]) => `${step}=${types}`).join('; ')}]` : '';
}

/** The one-line summary of a run, for the closing table. */
export function tallyLine(t: Tally): string {
  return (
    `[clients] ${t.label}: tools ${t.tools}/${t.listed}, calls ${t.calls}/${t.steps}, ` +
    `next-turn conversions ${t.conversions}/${t.steps}, confirmations answered ${t.asked}; ` +
    (t.strict === undefined ? '' : `strict ${t.strict}/${t.tools}; `) +
    `largest next request ${Math.round(t.largest.bytes / 1024)} KiB (${t.largest.step || 'none'})` +
    nonText(t) +
    (t.failures.length ? `\n  ${t.failures.join('\n  ')}` : '')
  );
}

/**
 * Logs the run's line (the lead's table reads it) and fails the test unless every tool was offered
 * and every step called and passed on; `asked`: the confirmations the framework must have answered.
 */
export function expectClean(t: Tally, asked: number): void {
  console.log(tallyLine(t));
  expect(t.tools).toBe(TOOL_NAMES.length);
  expect(t.failures).toEqual([]);
  expect(t.asked).toBe(asked);
}
