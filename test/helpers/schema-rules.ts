/**
 * The rule sets a tool's `inputSchema` must pass to be usable as it is by every
 * model provider, written as a small checker over plain JSON Schema. Each
 * function returns the problems found as `path: rule` strings (empty = valid).
 *
 * Sources: OpenAI's "Structured Outputs → Supported schemas" (strict function
 * calling), Gemini's `FunctionDeclaration.parameters` (`Schema`, an OpenAPI 3.0
 * subset), and a default `new Ajv()` (checked in the test itself). Decisions
 * where the providers differ or are silent:
 *
 * - Keywords: only what all three accept. OpenAI strict documents `pattern` and
 *   `format` for strings, `minimum`/`maximum`/`multipleOf`/exclusive bounds for
 *   numbers and `minItems`/`maxItems` for arrays, and not `minLength`/
 *   `maxLength`, `default`, `examples` or `title`; so none of those is
 *   published (the server still enforces string lengths and names the field).
 * - Optional fields: OpenAI strict wants every property in `required`, optional
 *   ones nullable. Publishing that would cost tokens and make models send `null`
 *   for every field they skip, so the published schemas list only the truly
 *   required fields; strict-mode clients rewrite them (OpenAI Agents SDK's
 *   `convertSchemasToStrict` / `ensure_strict_json_schema`: every property
 *   required, optional ones made nullable). `toOpenAiStrict` is that rewrite,
 *   and the OpenAI rules are checked on its output. For those clients the server
 *   treats `null` in an optional field as "not given".
 * - `additionalProperties: false`: required by OpenAI strict, a JSON Schema
 *   keyword for ajv, and not a field of Gemini's OpenAPI subset. Gemini clients
 *   drop it before sending (the Vercel AI SDK's Google provider copies only the
 *   fields Gemini knows, LangChain's Google packages remove it, and
 *   `@google/genai` passes MCP schemas as `parametersJsonSchema`, which accepts
 *   it), so the Gemini rules accept it with the value `false` and nothing else.
 * - A tool without arguments publishes `{type: 'object', properties: {},
 *   additionalProperties: false}`: valid for OpenAI strict (every property of
 *   none is required) and for Gemini clients, which send no `parameters` for it.
 *   Below the root, an object must have at least one property (Gemini rejects
 *   property-less objects, OpenAI strict cannot close a free-form map).
 */

export type JsonSchema = Record<string, unknown>;

const TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'];

function isObject(v: unknown): v is JsonSchema {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Calls `visit` on every schema node below (and including) `node`, with its path. */
function walk(node: JsonSchema, path: string, visit: (node: JsonSchema, path: string) => void): void {
  visit(node, path);
  if (isObject(node.properties)) {
    for (const [key, child] of Object.entries(node.properties))
      if (isObject(child)) walk(child, `${path}.${key}`, visit);
  }
  if (isObject(node.items)) walk(node.items, `${path}[]`, visit);
  if (Array.isArray(node.anyOf)) for (const c of node.anyOf) if (isObject(c)) walk(c, path, visit);
}

// --- OpenAI strict ------------------------------------------------------------

const OPENAI_KEYWORDS = new Set([
  'type',
  'description',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'pattern',
  'format',
  'multipleOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
]);
const OPENAI_FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
]);
/** Documented limits: nesting depth and total object properties. */
const OPENAI_MAX_DEPTH = 10;
const OPENAI_MAX_PROPERTIES = 5000;

/**
 * The rewrite strict-mode clients apply (see the header): every property
 * required, the ones that were optional wrapped as `anyOf: [schema, null]`.
 * Objects are closed only if they already were: a client cannot close a
 * free-form map, which is exactly what the rules must catch.
 */
export function toOpenAiStrict(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node };
  if (isObject(node.properties)) {
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => {
        const strict = toOpenAiStrict(child as JsonSchema);
        return [key, required.has(key) ? strict : { anyOf: [strict, { type: 'null' }] }];
      }),
    );
    out.required = Object.keys(node.properties);
  }
  if (isObject(node.items)) out.items = toOpenAiStrict(node.items);
  if (Array.isArray(node.anyOf)) out.anyOf = node.anyOf.map((c) => toOpenAiStrict(c as JsonSchema));
  return out;
}

/** Problems of a schema as OpenAI strict function calling sees it (after the strict rewrite). */
export function openAiStrictProblems(inputSchema: JsonSchema): string[] {
  const problems: string[] = [];
  const root = toOpenAiStrict(inputSchema);
  if (root.type !== 'object' || 'anyOf' in root) problems.push('$: root must be a plain object');
  let properties = 0;
  let depth = 0;
  walk(root, '$', (node, path) => {
    depth = Math.max(depth, path.split(/\.|\[\]/).length - 1);
    for (const key of Object.keys(node))
      if (!OPENAI_KEYWORDS.has(key)) problems.push(`${path}: keyword ${key} not supported`);
    if (typeof node.format === 'string' && !OPENAI_FORMATS.has(node.format))
      problems.push(`${path}: format ${node.format} not supported`);
    if (Array.isArray(node.anyOf)) return;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (!types.every((t) => t === 'null' || TYPES.includes(t as string)))
      problems.push(`${path}: every schema needs a type`);
    if (node.type === 'object') {
      if (!isObject(node.properties)) problems.push(`${path}: object without properties`);
      if (node.additionalProperties !== false)
        problems.push(`${path}: object not closed (additionalProperties: false)`);
      const keys = Object.keys(node.properties ?? {});
      properties += keys.length;
      const required = (node.required ?? []) as string[];
      if (keys.some((k) => !required.includes(k))) problems.push(`${path}: not every property required`);
    }
    if (node.type === 'array' && !isObject(node.items)) problems.push(`${path}: array without items`);
  });
  if (depth > OPENAI_MAX_DEPTH) problems.push(`$: nested ${depth} levels (max ${OPENAI_MAX_DEPTH})`);
  if (properties > OPENAI_MAX_PROPERTIES) problems.push(`$: ${properties} properties`);
  return problems;
}

// --- Gemini -------------------------------------------------------------------

const GEMINI_KEYWORDS = new Set([
  'type',
  'format',
  'description',
  'nullable',
  'enum',
  'items',
  'properties',
  'required',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  // Accepted only as `false` (see the header).
  'additionalProperties',
]);
/** Gemini's string formats; number formats are the OpenAPI ones. */
const GEMINI_FORMATS: Record<string, string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

/** Problems of a schema as Gemini function declarations see it. */
export function geminiProblems(inputSchema: JsonSchema): string[] {
  const problems: string[] = [];
  if (inputSchema.type !== 'object') problems.push('$: parameters must be an object');
  walk(inputSchema, '$', (node, path) => {
    for (const key of Object.keys(node))
      if (!GEMINI_KEYWORDS.has(key)) problems.push(`${path}: keyword ${key} not supported`);
    if (typeof node.type !== 'string' || !TYPES.includes(node.type))
      problems.push(`${path}: needs one type of ${TYPES.join(', ')}`);
    if ('additionalProperties' in node && node.additionalProperties !== false)
      problems.push(`${path}: additionalProperties other than false`);
    if (typeof node.format === 'string' && !GEMINI_FORMATS[node.type as string]?.includes(node.format))
      problems.push(`${path}: format ${node.format} not supported on ${String(node.type)}`);
    if (Array.isArray(node.enum) && (node.type !== 'string' || node.enum.some((v) => typeof v !== 'string')))
      problems.push(`${path}: enum of non-strings`);
    if (node.type === 'object') {
      const keys = isObject(node.properties) ? Object.keys(node.properties) : undefined;
      if (!keys || (path !== '$' && keys.length === 0)) problems.push(`${path}: object without properties`);
      const required = (node.required ?? []) as string[];
      if (required.some((k) => !keys?.includes(k))) problems.push(`${path}: required names a non-property`);
    }
    if (node.type === 'array' && !isObject(node.items)) problems.push(`${path}: array without items`);
  });
  return problems;
}

// --- descriptions ---------------------------------------------------------------

/** Every property a model fills in, at every depth, and every array's items, has a description. */
export function undescribed(inputSchema: JsonSchema): string[] {
  const missing: string[] = [];
  walk(inputSchema, '$', (node, path) => {
    if (path !== '$' && !(typeof node.description === 'string' && node.description)) missing.push(path);
  });
  return missing;
}

// --- type arrays ----------------------------------------------------------------

/**
 * Every `type` that is an array (`["string","null"]`), at every depth: legal JSON Schema, but a
 * client that maps schemas onto a single-`type` dialect (Gemini's OpenAPI subset) rejects the tool
 * or drops the constraint, and the Inspector's `--cli --strict` warns about each. Applies to input
 * and output schemas alike; a field that may be null is published with its one other type and the
 * null left out of the result (src/tools/json-schema.ts, src/tools/result.ts).
 */
export function typeArrays(schema: JsonSchema): string[] {
  const found: string[] = [];
  walk(schema, '$', (node, path) => {
    if (Array.isArray(node.type)) found.push(`${path}: type is an array (${JSON.stringify(node.type)})`);
  });
  return found;
}
