/**
 * The JSON Schemas published in `tools/list`, computed once per process from
 * the zod schemas and kept small: every byte here is paid in context tokens by
 * every client on every session.
 *
 * - Input schemas are complete (every field, type, bound and description).
 * - Output schemas describe the top level of the response (field names and
 *   types, nested objects as `object`, arrays as `array`), with no
 *   `required` list: the API's responses are parsed leniently, so a deeper or
 *   stricter schema would only add tokens (a `required` list cost 162 of them
 *   across the catalogue) and turn a harmless upstream change into a
 *   client-side validation failure. The server's own parsing still requires
 *   what it needs.
 */
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { type AnyTool, viewUri } from './define.js';

type JsonSchema = Record<string, unknown>;

/**
 * Makes a zod-made input schema portable and small. Portable: valid as it is
 * for OpenAI strict function calling, Gemini function declarations and a
 * default ajv (test/server/portable-schemas.test.ts checks all three), so
 * every object is closed (`additionalProperties: false`) and has `properties`,
 * and only keywords all three accept remain. Small: what a model does not need
 * to fill in an argument well goes.
 *
 * Removed: `$schema`; `minLength`/`maxLength` (not in OpenAI strict's subset);
 * `maxItems` of 1,000 or more; `minimum: 0` (counts, seconds, ratios are never
 * negative); bounds at the safe-integer limits (zod's `.int()` adds them). The server still enforces all of them (the zod schema is
 * the validator) and names the field when one is broken.
 */
function portable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(portable);
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'minLength' || key === 'maxLength') continue;
    if (key === 'maxItems' && typeof value === 'number' && value >= 1000) continue;
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && (value === 0 || value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = key === 'properties' ? mapValues(value as JsonSchema, portable) : portable(value);
  }
  if (out.type === 'object') {
    out.properties ??= {};
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(obj: JsonSchema, f: (v: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
}

export function inputJsonSchema(tool: AnyTool): JsonSchema {
  return portable(
    z.toJSONSchema(z.object(tool.input), { io: 'input', unrepresentable: 'any' }),
  ) as JsonSchema;
}

/**
 * A property reduced to its type, without nested detail or descriptions. A field VOISA may send as
 * `null` (zod `.nullish()`) is published with its other type only: `toResult` leaves top-level nulls
 * out of the result, so the result still validates. That is a single `type` string, never a type
 * array, which single-`type` dialects (Gemini's OpenAPI subset) reject and the Inspector's `--strict`
 * warns about, and fewer tokens than `anyOf` branches. Two types or more remain `anyOf` branches.
 */
function shallow(prop: JsonSchema): JsonSchema {
  const branches = Array.isArray(prop.anyOf) ? (prop.anyOf as JsonSchema[]) : [prop];
  const types = new Set(
    branches.flatMap((p) => {
      // Arrays are `array`, whatever they hold, like nested objects are `object`; enums are strings.
      const t = Array.isArray(p.enum) && p.type === undefined ? 'string' : p.type;
      return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string' && x !== 'null');
    }),
  );
  if (types.size === 1) return { type: [...types][0] };
  return types.size ? { anyOf: [...types].map((type) => ({ type })) } : {};
}

export function outputJsonSchema(tool: AnyTool): JsonSchema {
  const full = z.toJSONSchema(tool.output, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  const properties = Object.fromEntries(
    Object.entries((full.properties ?? {}) as Record<string, JsonSchema>).map(([k, v]) => [k, shallow(v)]),
  );
  return { type: 'object', properties };
}

/**
 * Annotations as published: hints equal to the spec's defaults (readOnlyHint
 * false, idempotentHint false, openWorldHint true) and hints that mean nothing
 * for a read-only tool (destructive, idempotent) are left out.
 */
export function publishedAnnotations(tool: AnyTool): ToolAnnotations {
  const { readOnlyHint, destructiveHint, idempotentHint, openWorldHint, ...rest } = tool.annotations;
  const out: ToolAnnotations = { ...rest };
  if (readOnlyHint) out.readOnlyHint = true;
  else {
    if (destructiveHint !== undefined) out.destructiveHint = destructiveHint;
    if (idempotentHint) out.idempotentHint = true;
  }
  if (openWorldHint === false) out.openWorldHint = false;
  return out;
}

const published = new WeakMap<AnyTool, Tool>();

/**
 * Whether a title says more than the name: `List agents` for `list_agents` does not (a host shows the
 * name instead, and every session would pay ~5 tokens for it); `Make phone call` for `make_call` does.
 */
export function titleSaysMore(tool: Pick<AnyTool, 'name' | 'title'>): boolean {
  return tool.title.toLowerCase() !== tool.name.replaceAll('_', ' ');
}

/**
 * A tool's `tools/list` entry, computed once per process: every session (and,
 * over stateless HTTP, every request) builds its own server, but they all
 * publish the same entries.
 */
export function toolListEntry(tool: AnyTool): Tool {
  let entry = published.get(tool);
  if (!entry) {
    entry = {
      name: tool.name,
      ...(titleSaysMore(tool) ? { title: tool.title } : {}),
      description: tool.description,
      inputSchema: inputJsonSchema(tool) as Tool['inputSchema'],
      outputSchema: outputJsonSchema(tool) as Tool['outputSchema'],
      annotations: publishedAnnotations(tool),
      // MCP Apps: the view that renders the result (the deprecated flat `ui/resourceUri` key is left out).
      ...(tool.view ? { _meta: { ui: { resourceUri: viewUri(tool.view) } } } : {}),
    };
    published.set(tool, entry);
  }
  return entry;
}
