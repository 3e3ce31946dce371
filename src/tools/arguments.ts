/**
 * A tool's arguments, checked before anything is sent: first against the shape
 * the server publishes (closed objects), then against the tool's zod schema
 * (types, bounds, patterns, refinements).
 */
import { z } from 'zod';
import type { AnyTool } from './define.js';
import { toolListEntry } from './json-schema.js';

type JsonSchema = Record<string, unknown>;

export type ParsedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; problems: string[] };

const validators = new WeakMap<AnyTool, z.ZodObject>();

/** The zod object that checks a tool's arguments; built once per process, shared by every session. */
function validatorOf(tool: AnyTool): z.ZodObject {
  let validator = validators.get(tool);
  if (!validator) {
    validator = z.object(tool.input);
    validators.set(tool, validator);
  }
  return validator;
}

export function parseArguments(tool: AnyTool, args: unknown): ParsedArguments {
  const problems: string[] = [];
  const shaped = closedShape(toolListEntry(tool).inputSchema, args, '', problems);
  const parsed = validatorOf(tool).safeParse(shaped);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      problems.push(`${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`);
  }
  return problems.length || !parsed.success ? { ok: false, problems } : { ok: true, args: parsed.data };
}

/**
 * Applies the published shape's two rules zod's (stripping) objects do not:
 * a field the schema does not have is a problem, not silently dropped; and
 * `null` in an optional field means "not given", as strict-mode clients send it
 * (they make every field required and the optional ones nullable). Recurses only
 * into fields the schema declares, so the depth is the schema's, never the
 * caller's: a value nested 10,000 deep stops at the first unknown or mistyped
 * level. Everything else is left to zod.
 */
function closedShape(schema: JsonSchema, value: unknown, path: string, problems: string[]): unknown {
  if (schema.type === 'array' && Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items;
    return value.map((v, i) => closedShape(items, v, `${path}.${i}`, problems));
  }
  if (schema.type !== 'object' || !isObject(value)) return value;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    const child = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (!child) {
      const known = Object.keys(properties);
      problems.push(
        `${field}: unknown field${known.length ? ` (expected ${known.join(', ')})` : ' (this tool takes no arguments)'}`,
      );
    } else if (v === null && !required.includes(key)) {
      // not given
    } else out[key] = closedShape(child, v, field, problems);
  }
  return out;
}

function isObject(v: unknown): v is JsonSchema {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
