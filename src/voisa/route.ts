/**
 * The route template of a request path, for telemetry (`url.template`): every segment that is not one
 * of the API's own words (docs: voisa-api-reference.md) is an id, and becomes `{id}`. A path the API
 * does not know is templated the same way, so no id, phone number or other value ever reaches a span
 * name, an attribute or a metric label, and the number of distinct routes stays bounded.
 */
const WORDS = new Set([
  'api',
  'agents',
  'agent',
  'list',
  'create',
  'update',
  'chat',
  'assign-tools',
  'knowledge-base',
  'text',
  'url',
  'file',
  'conversations',
  'audio',
  'mcp-servers',
  'tools',
  'analytics',
  'sentiment-batch',
  'make-call',
  'voices',
  'voice',
  'webhooks',
  'get-api-key',
  'verify',
]);

/** `/api/agents/agt_1/chat` -> `/api/agents/{id}/chat`; the query, if any, is dropped. */
export function routeOf(path: string): string {
  const bare = path.split('?')[0] ?? '';
  return bare
    .split('/')
    .map((segment) => (segment === '' || WORDS.has(segment) ? segment : '{id}'))
    .join('/');
}
