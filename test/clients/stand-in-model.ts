/**
 * A stand-in model API on loopback, for the client-compatibility suite (test/clients): the frameworks
 * under test send it the requests they would send OpenAI or Anthropic, and it answers like those APIs
 * do — including the 400 they answer to a request they refuse. No model is reachable offline; this is
 * what makes "turn each tool result into the framework's next model request" testable.
 *
 *   const model = await startStandInModel();          // one per test file (afterAll: model.close())
 *   new ChatOpenAI({ configuration: { baseURL: model.openaiBaseUrl }, apiKey: 'sk-test' });
 *   new ChatAnthropic({ anthropicApiUrl: model.anthropicBaseUrl, apiKey: 'sk-ant-test' });
 *   // Claude Code: ANTHROPIC_BASE_URL=model.anthropicBaseUrl
 *
 *   model.nextToolCall('get_agent', { agent_id: 'agt_bella0001' });
 *   const ai = await llm.invoke(history);             // answered with that tool call
 *   const next = await llm.invoke([...history, ai, toolMessage]);   // answered with text, or a 400
 *   model.rejected();                                 // the requests it refused, with why
 *
 * Endpoints (each also without the `/v1` prefix):
 * - `POST /v1/chat/completions` (OpenAI chat completions; `stream: true` answers chunked SSE ending in
 *   `[DONE]`, with a usage chunk when `stream_options.include_usage`);
 * - `POST /v1/responses` (OpenAI responses; `stream: true` answers the `response.*` event stream);
 * - `POST /v1/messages` (Anthropic; `stream: true` answers message_start … message_stop) and
 *   `POST /v1/messages/count_tokens`;
 * - `GET /v1/models` (both vendors' list shapes), `HEAD /` and `GET /` (reachability), and
 *   `POST /api/event_logging/batch` (telemetry Claude Code may send to its base URL): 200;
 * - anything else: 404 with a JSON error.
 *
 * Answers. A queued tool call (`nextToolCall(name, args)`) answers the next model request that OFFERS
 * that tool (its `tools` list has the name itself, or a name ending in `__name`/`_name` as Claude Code's
 * `mcp__voisa__name` or a prefixed client's `voisa_name`; the answer uses the offered name), in that
 * API's format: `tool_calls` / a `function_call` item / a `tool_use` block. A request that offers none
 * of the queued tools (a side request: a title, a quota check) gets text and leaves the queue as it
 * is. With nothing queued, the answer is a short final text (`finalText`, default "Done.").
 *
 * Validation: each request is checked as the real API checks it, for what the suite needs — the
 * message/item/block shapes and, above all, the tool-result turn:
 * - chat completions: `role: "tool"` content is a string or an array of `{type: "text"}` parts; user
 *   parts are text, image_url (http(s) or data:image URL), input_audio (base64, format wav|mp3), file
 *   (file_data or file_id: no URL); every assistant `tool_calls` id is answered by the tool messages
 *   right after it, and a tool message answers one of them; `strict: true` function schemas must be
 *   closed (`additionalProperties: false`) with every property required and no keyword strict mode
 *   does not take (minLength, oneOf…);
 * - responses: `function_call_output.output` is a string or an array of input_text / input_image /
 *   input_file; its call_id is a `function_call` of the input (or `previous_response_id` is given);
 *   assistant message parts are output_text/refusal; strict function schemas as above;
 * - messages: `max_tokens` is given; blocks are of the types the API takes per role; `tool_result`
 *   content is a string or an array of text / image (base64 of jpeg|png|gif|webp, or an http(s) url) /
 *   document / search_result blocks; each `tool_use` is answered by a `tool_result` in the next user
 *   message, tool results first; text blocks are not empty.
 * A refused request gets the API's 400 (`invalid_request_error`, with the field path), so the
 * framework throws — which fails the step that produced it. Every request is recorded in `requests`
 * (path, body, status, the problem when refused, and what was answered); credential headers are not.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson as json } from '../voisa/raw-server.js';

export type ModelApi = 'chat' | 'responses' | 'messages' | 'count_tokens' | 'other';

export interface RecordedRequest {
  method: string;
  path: string;
  api: ModelApi;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: any;
  /** The request's headers, less the credentials (authorization, x-api-key). */
  headers: Record<string, string | string[] | undefined>;
  status: number;
  /** Why it was refused (a 400's message, with the field path). */
  problem?: string;
  /** What it was answered with. */
  answer?: { kind: 'tool_call'; name: string; id: string; args: Record<string, unknown> } | { kind: 'text' };
}

export interface StandInModel {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** For OpenAI clients (`baseURL`): `${url}/v1`. */
  openaiBaseUrl: string;
  /** For Anthropic clients: the SDK and Claude Code add `/v1/messages` themselves, so `url`. */
  anthropicBaseUrl: string;
  /** Every request so far, in order. */
  requests: RecordedRequest[];
  /** The model requests (chat, responses, messages) so far. */
  modelRequests(): RecordedRequest[];
  /** The requests answered with an error (4xx), with their problem. */
  rejected(): RecordedRequest[];
  /**
   * Queue a tool call for the next request that offers the tool. Returns the token of its id: the call
   * carries `call_<token>` (OpenAI) or `toolu_<token>` (Anthropic).
   */
  nextToolCall(name: string, args?: ToolArgs): string;
  /** The tool calls still queued. */
  pending(): readonly { name: string; args: ToolArgs }[];
  /** Forget the recorded requests and the queue. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A queued call's arguments: fixed, or worked out when the call is answered from the request it
 * answers (e.g. an id that an earlier tool result in that request carries).
 */
export type ToolArgs = Record<string, unknown> | ((request: RecordedRequest) => Record<string, unknown>);

export interface StandInOptions {
  /** The final text answered when no tool call is due (default "Done."). */
  finalText?: string;
  /** Largest request body taken (default 64 MiB). */
  maxBodyBytes?: number;
}

/** A refusal: the message and the field path, as the APIs name them. */
interface Problem {
  message: string;
  param?: string;
  code?: string;
}

type Json = Record<string, any>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const HTTP_URL = /^https?:\/\/[^\s/]+/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (s: unknown): boolean => isStr(s) && s.length > 0 && s.length % 4 === 0 && BASE64.test(s);
const OPENAI_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ANTHROPIC_TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const ANTHROPIC_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** A data: URL's media type and whether its payload is base64 (undefined when it is no data URL). */
function dataUrl(s: string): { mediaType: string; base64: boolean } | undefined {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(s);
  if (!m) return undefined;
  const base64 = (m[2] ?? '').split(';').includes('base64');
  return { mediaType: m[1] ?? '', base64: base64 && isBase64(m[3]) };
}

function tokensOf(body: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4));
}

// ---------------------------------------------------------------------------------------------------
// Strict function schemas (OpenAI structured outputs)

/**
 * Keywords strict mode does not take (OpenAI "Structured Outputs → Supported schemas": composition
 * other than anyOf, and the string-length, object and array keywords it lists as unsupported; see
 * also test/helpers/schema-rules.ts, the rules our published schemas are held to).
 */
const STRICT_UNSUPPORTED = [
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'minLength',
  'maxLength',
  'patternProperties',
  'unevaluatedProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'unevaluatedItems',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
];

/** The first way this schema breaks OpenAI's strict mode, or undefined. */
export function strictSchemaProblem(schema: unknown, path = 'parameters'): string | undefined {
  if (!isObj(schema)) return `${path}: schema must be an object`;
  if (path === 'parameters' && (schema.type !== 'object' || schema.anyOf)) {
    return `${path}: schema must be a JSON Schema of 'type: "object"', got 'type: "${schema.type ?? 'None'}"'`;
  }
  for (const key of STRICT_UNSUPPORTED) {
    if (key in schema) return `${path}: '${key}' is not permitted`;
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object') || isObj(schema.properties)) {
    if (schema.additionalProperties !== false) {
      return `${path}: 'additionalProperties' is required to be supplied and to be false`;
    }
    const props = Object.keys(isObj(schema.properties) ? schema.properties : {});
    const required: unknown[] = Array.isArray(schema.required) ? schema.required : [];
    const missing = props.filter((p) => !required.includes(p));
    if (missing.length) {
      return `${path}: 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'`;
    }
  }
  const children: [string, unknown][] = [];
  for (const [k, v] of Object.entries(isObj(schema.properties) ? schema.properties : {}))
    children.push([`${path}.properties.${k}`, v]);
  for (const defs of ['$defs', 'definitions'])
    for (const [k, v] of Object.entries(isObj(schema[defs]) ? schema[defs] : {}))
      children.push([`${path}.${defs}.${k}`, v]);
  if (schema.items !== undefined) children.push([`${path}.items`, schema.items]);
  if (Array.isArray(schema.anyOf))
    for (const [i, v] of schema.anyOf.entries()) children.push([`${path}.anyOf.${i}`, v]);
  for (const [p, child] of children) {
    const problem = strictSchemaProblem(child, p);
    if (problem) return problem;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// OpenAI chat completions

function chatUserPart(part: unknown, at: string): Problem | undefined {
  if (!isObj(part)) return { message: `Invalid type for '${at}': expected an object.`, param: at };
  switch (part.type) {
    case 'text':
      return isStr(part.text)
        ? undefined
        : { message: `Missing required parameter: '${at}.text'.`, param: `${at}.text` };
    case 'image_url': {
      const url = part.image_url?.url;
      if (!isStr(url))
        return {
          message: `Missing required parameter: '${at}.image_url.url'.`,
          param: `${at}.image_url.url`,
        };
      const data = dataUrl(url);
      if (HTTP_URL.test(url) || (data?.mediaType.startsWith('image/') && data.base64)) return undefined;
      return {
        message: `Invalid 'image_url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,...'), or a URL.`,
        param: `${at}.image_url.url`,
        code: 'invalid_value',
      };
    }
    case 'input_audio': {
      const audio = part.input_audio;
      if (!isObj(audio) || !['wav', 'mp3'].includes(audio.format)) {
        return {
          message: `Invalid value: '${audio?.format}'. Supported values are: 'wav' and 'mp3'.`,
          param: `${at}.input_audio.format`,
          code: 'invalid_value',
        };
      }
      return isBase64(audio.data)
        ? undefined
        : {
            message: `Invalid '${at}.input_audio.data': expected base64-encoded audio.`,
            param: `${at}.input_audio.data`,
          };
    }
    case 'file': {
      const file = part.file;
      if (!isObj(file) || (!isStr(file.file_data) && !isStr(file.file_id))) {
        return {
          message: `Invalid '${at}.file': one of 'file_data' or 'file_id' must be provided.`,
          param: `${at}.file`,
        };
      }
      const extra = Object.keys(file).find((k) => !['file_data', 'file_id', 'filename'].includes(k));
      if (extra)
        return {
          message: `Unrecognized request argument supplied: ${at}.file.${extra}`,
          param: `${at}.file.${extra}`,
        };
      if (isStr(file.file_data) && HTTP_URL.test(file.file_data)) {
        return {
          message: `Invalid '${at}.file.file_data': file URLs are not supported; expected base64 data.`,
          param: `${at}.file.file_data`,
        };
      }
      return undefined;
    }
    default:
      return {
        message: `Invalid value: '${part.type}'. Supported values are: 'text', 'image_url', 'input_audio', and 'file'.`,
        param: `${at}.type`,
        code: 'invalid_value',
      };
  }
}

function textParts(content: unknown, at: string, allowed: readonly string[]): Problem | undefined {
  if (isStr(content)) return undefined;
  if (!Array.isArray(content)) {
    return { message: `Invalid type for '${at}': expected one of a string or array of objects.`, param: at };
  }
  for (const [j, part] of content.entries()) {
    const p = `${at}[${j}]`;
    if (!isObj(part) || !allowed.includes(part.type)) {
      const list = allowed.map((a) => `'${a}'`).join(' and ');
      return {
        message: `Invalid value: '${isObj(part) ? part.type : typeof part}'. Supported values are: ${list}.`,
        param: `${p}.type`,
        code: 'invalid_value',
      };
    }
    if (part.type === 'text' && !isStr(part.text))
      return { message: `Missing required parameter: '${p}.text'.`, param: `${p}.text` };
  }
  return undefined;
}

function validateChat(body: Json): Problem | undefined {
  if (!isStr(body.model)) return { message: 'you must provide a model parameter', param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return {
      message: "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      param: 'messages',
    };
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools))
      return { message: "Invalid type for 'tools': expected an array.", param: 'tools' };
    for (const [i, tool] of body.tools.entries()) {
      const fn = tool?.function;
      if (tool?.type !== 'function' || !isObj(fn) || !isStr(fn.name) || !OPENAI_TOOL_NAME.test(fn.name)) {
        return {
          message: `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          param: `tools[${i}].function.name`,
        };
      }
      if (fn.strict === true) {
        const problem = strictSchemaProblem(fn.parameters);
        if (problem)
          return {
            message: `Invalid schema for function '${fn.name}': ${problem}.`,
            param: `tools[${i}].function.parameters`,
            code: 'invalid_function_parameters',
          };
      }
    }
  }
  let pending: string[] = [];
  for (const [i, m] of body.messages.entries()) {
    const at = `messages[${i}]`;
    if (!isObj(m)) return { message: `Invalid type for '${at}': expected an object.`, param: at };
    if (m.role !== 'tool' && pending.length) {
      return {
        message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`,
        param: 'messages',
      };
    }
    switch (m.role) {
      case 'system':
      case 'developer': {
        const p = textParts(m.content, `${at}.content`, ['text']);
        if (p) return p;
        break;
      }
      case 'user': {
        if (isStr(m.content)) break;
        if (!Array.isArray(m.content))
          return {
            message: `Invalid type for '${at}.content': expected one of a string or array of objects.`,
            param: `${at}.content`,
          };
        for (const [j, part] of m.content.entries()) {
          const p = chatUserPart(part, `${at}.content[${j}]`);
          if (p) return p;
        }
        break;
      }
      case 'assistant': {
        if (m.content != null) {
          const p = textParts(m.content, `${at}.content`, ['text', 'refusal']);
          if (p) return p;
        }
        if (m.tool_calls !== undefined) {
          if (!Array.isArray(m.tool_calls))
            return {
              message: `Invalid type for '${at}.tool_calls': expected an array.`,
              param: `${at}.tool_calls`,
            };
          for (const [j, c] of m.tool_calls.entries()) {
            if (
              !isStr(c?.id) ||
              c.type !== 'function' ||
              !isStr(c.function?.name) ||
              !isStr(c.function?.arguments)
            ) {
              return {
                message: `Invalid '${at}.tool_calls[${j}]': expected {id, type: 'function', function: {name, arguments: string}}.`,
                param: `${at}.tool_calls[${j}]`,
              };
            }
            pending.push(c.id);
          }
        } else if (m.content == null) {
          return {
            message: `Invalid '${at}': an assistant message needs content or tool_calls.`,
            param: `${at}.content`,
          };
        }
        break;
      }
      case 'tool': {
        if (!isStr(m.tool_call_id))
          return {
            message: `Missing required parameter: '${at}.tool_call_id'.`,
            param: `${at}.tool_call_id`,
          };
        if (!pending.includes(m.tool_call_id)) {
          return {
            message:
              "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
            param: `${at}.role`,
          };
        }
        pending = pending.filter((id) => id !== m.tool_call_id);
        const p = textParts(m.content, `${at}.content`, ['text']);
        if (p) return p;
        break;
      }
      default:
        return {
          message: `Invalid value: '${m.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
          param: `${at}.role`,
          code: 'invalid_value',
        };
    }
  }
  if (pending.length) {
    return {
      message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`,
      param: 'messages',
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// OpenAI responses

function responsesInputPart(part: unknown, at: string, allowed: readonly string[]): Problem | undefined {
  if (!isObj(part) || !allowed.includes(part.type)) {
    return {
      message: `Invalid value: '${isObj(part) ? part.type : typeof part}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`,
      param: `${at}.type`,
      code: 'invalid_value',
    };
  }
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return isStr(part.text)
        ? undefined
        : { message: `Missing required parameter: '${at}.text'.`, param: `${at}.text` };
    case 'refusal':
      return isStr(part.refusal)
        ? undefined
        : { message: `Missing required parameter: '${at}.refusal'.`, param: `${at}.refusal` };
    case 'input_image': {
      if (isStr(part.file_id)) return undefined;
      const url = part.image_url;
      const data = isStr(url) ? dataUrl(url) : undefined;
      if (isStr(url) && (HTTP_URL.test(url) || (data?.mediaType.startsWith('image/') && data.base64)))
        return undefined;
      return {
        message: `Invalid '${at}.image_url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,...'), or an http(s) URL.`,
        param: `${at}.image_url`,
        code: 'invalid_value',
      };
    }
    case 'input_file': {
      if (isStr(part.file_id)) return undefined;
      if (isStr(part.file_url)) {
        return HTTP_URL.test(part.file_url)
          ? undefined
          : {
              message: `Invalid '${at}.file_url': expected an http(s) URL.`,
              param: `${at}.file_url`,
              code: 'invalid_value',
            };
      }
      if (isStr(part.file_data)) return undefined;
      return {
        message: `Invalid '${at}': one of 'file_id', 'file_url' or 'file_data' must be provided.`,
        param: at,
      };
    }
  }
  return undefined;
}

const RESPONSES_INPUT_PARTS = ['input_text', 'input_image', 'input_file'] as const;

function validateResponses(body: Json): Problem | undefined {
  if (!isStr(body.model)) return { message: "Missing required parameter: 'model'.", param: 'model' };
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools))
      return { message: "Invalid type for 'tools': expected an array.", param: 'tools' };
    for (const [i, tool] of body.tools.entries()) {
      if (tool?.type !== 'function') continue;
      if (!isStr(tool.name) || !OPENAI_TOOL_NAME.test(tool.name)) {
        return {
          message: `Invalid 'tools[${i}].name': string does not match pattern '^[a-zA-Z0-9_-]+$'.`,
          param: `tools[${i}].name`,
        };
      }
      if (tool.strict === true) {
        const problem = strictSchemaProblem(tool.parameters);
        if (problem)
          return {
            message: `Invalid schema for function '${tool.name}': ${problem}.`,
            param: `tools[${i}].parameters`,
            code: 'invalid_function_parameters',
          };
      }
    }
  }
  if (isStr(body.input)) return undefined;
  if (!Array.isArray(body.input))
    return {
      message: "Invalid type for 'input': expected one of a string or array of input items.",
      param: 'input',
    };
  const calls = new Set<string>();
  for (const [i, item] of body.input.entries()) {
    const at = `input[${i}]`;
    if (!isObj(item)) return { message: `Invalid type for '${at}': expected an object.`, param: at };
    const type = item.type ?? (item.role ? 'message' : undefined);
    switch (type) {
      case 'message': {
        if (!['user', 'assistant', 'system', 'developer'].includes(item.role)) {
          return {
            message: `Invalid value: '${item.role}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.`,
            param: `${at}.role`,
            code: 'invalid_value',
          };
        }
        if (isStr(item.content)) break;
        if (!Array.isArray(item.content))
          return {
            message: `Invalid type for '${at}.content': expected one of a string or array of objects.`,
            param: `${at}.content`,
          };
        const allowed = item.role === 'assistant' ? ['output_text', 'refusal'] : RESPONSES_INPUT_PARTS;
        for (const [j, part] of item.content.entries()) {
          const p = responsesInputPart(part, `${at}.content[${j}]`, allowed);
          if (p) return p;
        }
        break;
      }
      case 'function_call':
        if (!isStr(item.call_id) || !isStr(item.name) || !isStr(item.arguments)) {
          return {
            message: `Invalid '${at}': a function_call needs call_id, name and arguments (a string).`,
            param: at,
          };
        }
        calls.add(item.call_id);
        break;
      case 'function_call_output': {
        if (!isStr(item.call_id))
          return { message: `Missing required parameter: '${at}.call_id'.`, param: `${at}.call_id` };
        if (!calls.has(item.call_id) && !isStr(body.previous_response_id)) {
          return {
            message: `No tool call found for function call output with call_id ${item.call_id}.`,
            param: 'input',
          };
        }
        if (isStr(item.output)) break;
        if (!Array.isArray(item.output)) {
          return {
            message: `Invalid type for '${at}.output': expected one of a string or array of objects.`,
            param: `${at}.output`,
          };
        }
        for (const [j, part] of item.output.entries()) {
          const p = responsesInputPart(part, `${at}.output[${j}]`, RESPONSES_INPUT_PARTS);
          if (p) return p;
        }
        break;
      }
      case 'reasoning':
      case 'item_reference':
        break;
      default:
        return {
          message: `Invalid value: '${type}'. Not a supported input item type.`,
          param: `${at}.type`,
          code: 'invalid_value',
        };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Anthropic messages

function anthropicImage(block: Json, at: string): Problem | undefined {
  const s = block.source;
  if (isObj(s) && s.type === 'base64') {
    if (!ANTHROPIC_IMAGE_TYPES.includes(s.media_type)) {
      return {
        message: `${at}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
      };
    }
    return isBase64(s.data)
      ? undefined
      : { message: `${at}.source.base64.data: The image data is not valid base64` };
  }
  if (isObj(s) && s.type === 'url') {
    return isStr(s.url) && HTTP_URL.test(s.url)
      ? undefined
      : { message: `${at}.source.url.url: the URL must use http or https` };
  }
  if (isObj(s) && s.type === 'file' && isStr(s.file_id)) return undefined;
  return {
    message: `${at}.source: Input tag '${s?.type}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`,
  };
}

function anthropicDocument(block: Json, at: string): Problem | undefined {
  const s = block.source;
  if (!isObj(s)) return { message: `${at}.source: Field required` };
  switch (s.type) {
    case 'base64':
      if (s.media_type !== 'application/pdf')
        return { message: `${at}.source.base64.media_type: Input should be 'application/pdf'` };
      return isBase64(s.data)
        ? undefined
        : { message: `${at}.source.base64.data: The PDF data is not valid base64` };
    case 'text':
      return s.media_type === 'text/plain' && isStr(s.data)
        ? undefined
        : { message: `${at}.source.text: media_type 'text/plain' and data are required` };
    case 'url':
      return isStr(s.url) && HTTP_URL.test(s.url)
        ? undefined
        : { message: `${at}.source.url.url: the URL must use http or https` };
    case 'content':
    case 'file':
      return undefined;
    default:
      return {
        message: `${at}.source: Input tag '${s.type}' found using 'type' does not match any of the expected tags: 'base64', 'content', 'file', 'text', 'url'`,
      };
  }
}

function anthropicText(block: Json, at: string): Problem | undefined {
  if (!isStr(block.text)) return { message: `${at}.text: Field required` };
  return block.text.trim()
    ? undefined
    : { message: `${at}: text content blocks must contain non-whitespace text` };
}

const TOOL_RESULT_BLOCKS = ['text', 'image', 'document', 'search_result', 'tool_reference'];
const USER_BLOCKS = ['text', 'image', 'document', 'search_result', 'tool_result', 'container_upload'];
const ASSISTANT_BLOCKS = [
  'text',
  'tool_use',
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
];

function anthropicBlock(block: unknown, at: string, allowed: readonly string[]): Problem | undefined {
  if (!isObj(block) || !allowed.includes(block.type)) {
    return {
      message: `${at}: Input tag '${isObj(block) ? block.type : typeof block}' found using 'type' does not match any of the expected tags: ${allowed.map((a) => `'${a}'`).join(', ')}`,
    };
  }
  switch (block.type) {
    case 'text':
      return anthropicText(block, at);
    case 'image':
      return anthropicImage(block, at);
    case 'document':
      return anthropicDocument(block, at);
    case 'search_result':
      return isStr(block.source) && isStr(block.title) && Array.isArray(block.content)
        ? undefined
        : { message: `${at}: search_result needs source, title and content` };
    case 'tool_use':
      return isStr(block.id) && isStr(block.name) && isObj(block.input)
        ? undefined
        : { message: `${at}: tool_use needs id, name and an input object` };
    case 'tool_result': {
      if (!isStr(block.tool_use_id)) return { message: `${at}.tool_use_id: Field required` };
      if (block.content === undefined || isStr(block.content)) return undefined;
      if (!Array.isArray(block.content)) return { message: `${at}.content: Input should be a valid list` };
      for (const [j, inner] of block.content.entries()) {
        const p = anthropicBlock(inner, `${at}.content.${j}`, TOOL_RESULT_BLOCKS);
        if (p) return p;
      }
      return undefined;
    }
  }
  return undefined;
}

function validateMessages(body: Json): Problem | undefined {
  if (!isStr(body.model)) return { message: 'model: Field required' };
  if (typeof body.max_tokens !== 'number') return { message: 'max_tokens: Field required' };
  if (!Array.isArray(body.messages)) return { message: 'messages: Field required' };
  if (body.system !== undefined && !isStr(body.system)) {
    if (!Array.isArray(body.system)) return { message: 'system: Input should be a valid string or list' };
    for (const [j, b] of body.system.entries()) {
      const p = anthropicBlock(b, `system.${j}`, ['text']);
      if (p) return p;
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return { message: 'tools: Input should be a valid list' };
    for (const [i, tool] of body.tools.entries()) {
      if (tool?.type !== undefined && tool.type !== 'custom') continue; // server tools
      if (!isStr(tool?.name) || !ANTHROPIC_TOOL_NAME.test(tool.name)) {
        return { message: `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'` };
      }
      if (!isObj(tool.input_schema) || tool.input_schema.type !== 'object') {
        return { message: `tools.${i}.custom.input_schema.type: Input should be 'object'` };
      }
    }
  }
  const messages: Json[] = body.messages;
  for (const [i, m] of messages.entries()) {
    const at = `messages.${i}`;
    // Claude Code (2.1.328) sends its environment notes as a `system` turn between the others, which
    // the API takes (text only) under the betas it declares.
    if (isObj(m) && m.role === 'system') {
      const blocks = isStr(m.content) ? [] : Array.isArray(m.content) ? m.content : [undefined];
      const p = blocks.map((b, j) => anthropicBlock(b, `${at}.content.${j}`, ['text'])).find(Boolean);
      if (p) return p;
      continue;
    }
    if (!isObj(m) || !['user', 'assistant'].includes(m.role)) {
      return { message: `${at}.role: Input should be 'user' or 'assistant'` };
    }
    const last = i === messages.length - 1;
    if (isStr(m.content)) {
      if (!m.content.trim() && !(last && m.role === 'assistant')) {
        return {
          message: `${at}: all messages must have non-empty content except for the optional final assistant message`,
        };
      }
      continue;
    }
    if (!Array.isArray(m.content))
      return { message: `${at}.content: Input should be a valid string or list` };
    if (m.content.length === 0 && !(last && m.role === 'assistant')) {
      return {
        message: `${at}: all messages must have non-empty content except for the optional final assistant message`,
      };
    }
    const allowed = m.role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS;
    for (const [j, block] of m.content.entries()) {
      const p = anthropicBlock(block, `${at}.content.${j}`, allowed);
      if (p) return p;
    }
    // tool_use ids answered in the next message, tool results first; tool results answer the previous.
    const uses =
      m.role === 'assistant'
        ? m.content.filter((b: Json) => b.type === 'tool_use').map((b: Json) => b.id)
        : [];
    if (uses.length) {
      const next = messages[i + 1];
      const blocks: Json[] = next && next.role === 'user' && Array.isArray(next.content) ? next.content : [];
      const leading: string[] = [];
      for (const b of blocks) {
        if (b.type !== 'tool_result') break;
        leading.push(b.tool_use_id);
      }
      const unanswered = uses.filter((id: string) => !leading.includes(id));
      if (unanswered.length && next) {
        return {
          message: `${at}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        };
      }
    }
    if (m.role === 'user') {
      const prev = messages[i - 1];
      const offered: string[] =
        prev?.role === 'assistant' && Array.isArray(prev.content)
          ? prev.content.filter((b: Json) => b.type === 'tool_use').map((b: Json) => b.id)
          : [];
      for (const [j, b] of m.content.entries()) {
        if (b.type === 'tool_result' && !offered.includes(b.tool_use_id)) {
          return {
            message: `${at}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          };
        }
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Answers

interface Reply {
  text?: string;
  call?: { name: string; id: string; args: Record<string, unknown> };
}

function sse(res: ServerResponse, events: readonly (readonly [string | undefined, unknown])[]): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const [event, data] of events) {
    if (event) res.write(`event: ${event}\n`);
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }
  res.end();
}

let seq = 0;
const nextId = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}${(++seq).toString(36).padStart(4, '0')}`;

function answerChat(res: ServerResponse, body: Json, reply: Reply, callId: string): void {
  const id = nextId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = body.model;
  const usage = {
    prompt_tokens: tokensOf(body.messages),
    completion_tokens: 5,
    total_tokens: tokensOf(body.messages) + 5,
  };
  const toolCall = reply.call && {
    id: callId,
    type: 'function',
    function: { name: reply.call.name, arguments: JSON.stringify(reply.call.args) },
  };
  const finish = toolCall ? 'tool_calls' : 'stop';
  if (!body.stream) {
    json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: toolCall ? null : reply.text,
            refusal: null,
            ...(toolCall ? { tool_calls: [toolCall] } : {}),
          },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage,
    });
    return;
  }
  const chunk = (delta: Json, finish_reason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  });
  const events: [undefined, unknown][] = [
    [undefined, chunk({ role: 'assistant', content: toolCall ? null : '' }, null)],
  ];
  if (toolCall) {
    events.push([
      undefined,
      chunk(
        {
          tool_calls: [
            {
              index: 0,
              id: callId,
              type: 'function',
              function: { name: toolCall.function.name, arguments: '' },
            },
          ],
        },
        null,
      ),
    ]);
    events.push([
      undefined,
      chunk({ tool_calls: [{ index: 0, function: { arguments: toolCall.function.arguments } }] }, null),
    ]);
  } else {
    events.push([undefined, chunk({ content: reply.text }, null)]);
  }
  events.push([undefined, chunk({}, finish)]);
  if (body.stream_options?.include_usage) {
    events.push([undefined, { id, object: 'chat.completion.chunk', created, model, choices: [], usage }]);
  }
  events.push([undefined, '[DONE]']);
  sse(res, events);
}

function answerResponses(res: ServerResponse, body: Json, reply: Reply, callId: string): void {
  const created_at = Math.floor(Date.now() / 1000);
  const inputTokens = tokensOf(body.input);
  const item = reply.call
    ? {
        type: 'function_call',
        id: nextId('fc'),
        call_id: callId,
        name: reply.call.name,
        arguments: JSON.stringify(reply.call.args),
        status: 'completed',
      }
    : {
        type: 'message',
        id: nextId('msg'),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: reply.text ?? '', annotations: [], logprobs: [] }],
      };
  const response = (status: string, output: unknown[]) => ({
    id: responseId,
    object: 'response',
    created_at,
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage:
      status === 'completed'
        ? {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 5,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + 5,
          }
        : null,
    user: null,
    metadata: body.metadata ?? {},
  });
  const responseId = nextId('resp');
  if (!body.stream) {
    json(res, 200, response('completed', [item]));
    return;
  }
  let n = 0;
  const ev = (type: string, data: Json): [string, unknown] => [type, { type, sequence_number: n++, ...data }];
  const events: [string, unknown][] = [
    ev('response.created', { response: response('in_progress', []) }),
    ev('response.in_progress', { response: response('in_progress', []) }),
  ];
  if (item.type === 'function_call') {
    const fc = item as Json;
    events.push(
      ev('response.output_item.added', {
        output_index: 0,
        item: { ...fc, arguments: '', status: 'in_progress' },
      }),
      ev('response.function_call_arguments.delta', { item_id: fc.id, output_index: 0, delta: fc.arguments }),
      ev('response.function_call_arguments.done', {
        item_id: fc.id,
        output_index: 0,
        name: fc.name,
        arguments: fc.arguments,
      }),
    );
  } else {
    const text = reply.text ?? '';
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    events.push(
      ev('response.output_item.added', {
        output_index: 0,
        item: { ...item, status: 'in_progress', content: [] },
      }),
      ev('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part }),
      ev('response.output_text.delta', {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta: text,
        logprobs: [],
      }),
      ev('response.output_text.done', {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        text,
        logprobs: [],
      }),
      ev('response.content_part.done', {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { ...part, text },
      }),
    );
  }
  events.push(
    ev('response.output_item.done', { output_index: 0, item }),
    ev('response.completed', { response: response('completed', [item]) }),
  );
  sse(res, events);
}

function answerMessages(res: ServerResponse, body: Json, reply: Reply, callId: string): void {
  const id = nextId('msg');
  const usage = {
    input_tokens: tokensOf(body.messages),
    output_tokens: 5,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  const block = reply.call
    ? { type: 'tool_use', id: callId, name: reply.call.name, input: reply.call.args }
    : { type: 'text', text: reply.text ?? '' };
  const stop_reason = reply.call ? 'tool_use' : 'end_turn';
  const message = (content: unknown[], stop: string | null) => ({
    id,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  });
  const headers = { 'request-id': nextId('req') };
  if (!body.stream) {
    json(res, 200, message([block], stop_reason), headers);
    return;
  }
  const ev = (type: string, data: Json): [string, unknown] => [type, { type, ...data }];
  const start = block.type === 'tool_use' ? { ...block, input: {} } : { ...block, text: '' };
  const delta =
    block.type === 'tool_use'
      ? { type: 'input_json_delta', partial_json: JSON.stringify((block as Json).input) }
      : { type: 'text_delta', text: (block as Json).text };
  res.setHeader('request-id', headers['request-id']);
  sse(res, [
    ev('message_start', { message: message([], null) }),
    ev('content_block_start', { index: 0, content_block: start }),
    ev('ping', {}),
    ev('content_block_delta', { index: 0, delta }),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: 5 } }),
    ev('message_stop', {}),
  ]);
}

function refuse(res: ServerResponse, api: ModelApi, problem: Problem): void {
  if (api === 'messages' || api === 'count_tokens') {
    json(
      res,
      400,
      { type: 'error', error: { type: 'invalid_request_error', message: problem.message } },
      { 'request-id': nextId('req') },
    );
    return;
  }
  json(res, 400, {
    error: {
      message: problem.message,
      type: 'invalid_request_error',
      param: problem.param ?? null,
      code: problem.code ?? null,
    },
  });
}

/** The tool names a model request offers. */
function offeredTools(api: ModelApi, body: Json): string[] {
  const tools: Json[] = Array.isArray(body?.tools) ? body.tools : [];
  if (api === 'chat') return tools.map((t) => t?.function?.name).filter(isStr);
  return tools.map((t) => t?.name).filter(isStr);
}

/** The offered name for a queued tool: the name itself, else one ending in `__name` or `_name`. */
function matchOffered(name: string, offered: readonly string[]): string | undefined {
  if (offered.includes(name)) return name;
  const suffixed = offered.filter((o) => o.endsWith(`__${name}`) || o.endsWith(`_${name}`));
  return suffixed.length === 1 ? suffixed[0] : undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const API_OF: Record<string, ModelApi> = {
  '/chat/completions': 'chat',
  '/responses': 'responses',
  '/messages': 'messages',
  '/messages/count_tokens': 'count_tokens',
};

export async function startStandInModel(options: StandInOptions = {}): Promise<StandInModel> {
  const finalText = options.finalText ?? 'Done.';
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const requests: RecordedRequest[] = [];
  let queue: { name: string; args: ToolArgs; id: string }[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const route = path.replace(/^\/v1(?=\/)/, '');
    const api = (req.method === 'POST' && API_OF[route]) || 'other';
    const raw = await readBody(req, maxBody);
    const { authorization: _a, 'x-api-key': _k, ...headers } = req.headers;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      api,
      body: undefined,
      headers,
      status: 200,
    };
    requests.push(record);
    const fail = (status: number, problem: Problem) => {
      record.status = status;
      record.problem = problem.param ? `${problem.param}: ${problem.message}` : problem.message;
      if (status === 400) return refuse(res, api, problem);
      const message = problem.message;
      return api === 'messages' || api === 'other'
        ? json(res, status, {
            type: 'error',
            error: { type: status === 404 ? 'not_found_error' : 'invalid_request_error', message },
          })
        : json(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });
    };
    if (raw === undefined) return fail(413, { message: `request body over ${maxBody} bytes` });
    if (raw.length) {
      try {
        record.body = JSON.parse(raw.toString('utf8'));
      } catch {
        if (api !== 'other')
          return fail(400, { message: 'We could not parse the JSON body of your request.' });
      }
    }

    if (api === 'other') {
      if (req.method === 'HEAD' || (req.method === 'GET' && path === '/'))
        return json(res, 200, { ok: true });
      if (req.method === 'GET' && route === '/models') {
        const models = ['gpt-4o-mini', 'claude-sonnet-4-5'].map((id) => ({
          id,
          object: 'model',
          type: 'model',
          display_name: id,
          created: 0,
          created_at: '2025-01-01T00:00:00Z',
          owned_by: 'stand-in',
        }));
        return json(res, 200, {
          object: 'list',
          data: models,
          has_more: false,
          first_id: 'gpt-4o-mini',
          last_id: 'claude-sonnet-4-5',
        });
      }
      if (req.method === 'POST' && path === '/api/event_logging/batch') return json(res, 200, {});
      return fail(404, { message: `Not found: ${req.method} ${path}` });
    }
    const body = record.body;
    if (!isObj(body)) return fail(400, { message: 'The request body must be a JSON object.' });
    if (api === 'count_tokens') {
      const problem = validateMessages({ ...body, max_tokens: 1 });
      if (problem) return fail(400, problem);
      return json(res, 200, { input_tokens: tokensOf(body.messages) + tokensOf(body.tools) });
    }
    const problem =
      api === 'chat'
        ? validateChat(body)
        : api === 'responses'
          ? validateResponses(body)
          : validateMessages(body);
    if (problem) return fail(400, problem);

    const offered = offeredTools(api, body);
    const due = queue[0] && matchOffered(queue[0].name, offered);
    const reply: Reply = {};
    let callId = '';
    if (queue[0] && due) {
      const { args: given, id } = queue.shift()!;
      const args = typeof given === 'function' ? given(record) : given;
      callId = api === 'messages' ? `toolu_${id}` : `call_${id}`;
      reply.call = { name: due, id: callId, args };
      record.answer = { kind: 'tool_call', name: due, id: callId, args };
    } else {
      reply.text = finalText;
      record.answer = { kind: 'text' };
    }
    if (api === 'chat') return answerChat(res, body, reply, callId);
    if (api === 'responses') return answerResponses(res, body, reply, callId);
    return answerMessages(res, body, reply, callId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err), type: 'server_error' } });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    modelRequests: () =>
      requests.filter((r) => r.api === 'chat' || r.api === 'responses' || r.api === 'messages'),
    rejected: () => requests.filter((r) => r.status >= 400),
    nextToolCall(name, args = {}) {
      const id = `${(++seq).toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
      queue.push({ name, args, id });
      return id;
    },
    pending: () => queue.map(({ name, args }) => ({ name, args })),
    reset() {
      requests.length = 0;
      queue = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
