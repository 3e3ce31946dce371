/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser, over src/, test/ and scripts/: the
 * layers are src/'s, the ban on import circles holds everywhere). Data flows down, never up;
 * there is no exception list: a file that needs something from a higher layer is in the wrong place,
 * or the thing it needs is (move shared types down to where both sides look, as web/env.ts does).
 *
 *   cli/                      the command line and its config: picks a transport, login, sandbox
 *   http/  stdio/             serving: streamable HTTP (and legacy SSE) · stdio
 *   oauth/                    the connector: authorization server, sign-in pages, the token gate
 *   scale/                    what instances share: Redis or memory
 *   web/                      what every HTTP surface shares: callers, addresses, bodies, answers
 *   mcp/                      the MCP server factory, confirmations, the log, JSON-RPC checks
 *   tools/ resources/ prompts/ views/ events/ skills/   the catalogue the factory assembles
 *   policy/ audit/            the call policy (destinations, quiet hours, budgets) and the audit trail; nothing of MCP
 *   security/                 sealing, secrets, single-use claims
 *   telemetry/                OpenTelemetry (traces, metrics) and span ids for logs; loaded lazily; nothing of MCP
 *   voisa/                    the REST client and the API's schemas
 *   package/                  where the files the package ships lie (data, views, skills)
 *   sandbox/                  the emulator: voisa/'s schemas and nothing of the MCP side
 *
 * src/index.ts (the library face) may import any of them; nothing imports it.
 */

/** Bottom to top. A layer may import its own and those below it, never those above. */
const LAYERS = [
  ['package'],
  ['voisa'],
  ['security'],
  ['telemetry'],
  ['policy', 'audit'],
  ['tools', 'resources', 'prompts', 'views', 'events', 'skills'],
  ['mcp'],
  ['web'],
  ['scale'],
  ['oauth'],
  ['http', 'stdio'],
  ['cli'],
];

const folders = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer.join('+')}-not-up`,
  comment: `${layer.join(', ')} may not import a higher layer (${LAYERS.slice(i + 1).flat().join(', ')})`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: folders(LAYERS.slice(i + 1).flat()) },
}));

/** Two folders of one layer that must not know each other. */
const siblings = [
  ['http', 'stdio'],
  ['stdio', 'http'],
].map(([from, to]) => ({
  name: `${from}-not-${to}`,
  comment: `${from}/ and ${to}/ are two ways of serving; what both need lives below them`,
  severity: 'error',
  from: { path: folders([from]) },
  to: { path: folders([to]) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circle, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    ...siblings,
    {
      name: 'voisa-knows-no-mcp',
      comment: 'voisa/ is the REST client: nothing of MCP, of our server or of HTTP serving',
      severity: 'error',
      from: { path: '^src/voisa/' },
      to: { path: ['^src/(?!voisa/)', 'node_modules/(@modelcontextprotocol|hono|@hono)/'] },
    },
    {
      name: 'guardrails-know-no-mcp',
      comment: 'policy/ and audit/ judge calls and write lines: nothing of MCP or of HTTP serving',
      severity: 'error',
      from: { path: folders(['policy', 'audit']) },
      to: { path: 'node_modules/(@modelcontextprotocol|hono|@hono)/' },
    },
    {
      name: 'telemetry-knows-no-mcp',
      comment: 'telemetry/ records spans and metrics for whoever calls it: nothing of MCP or of HTTP serving',
      severity: 'error',
      from: { path: folders(['telemetry']) },
      to: { path: 'node_modules/(@modelcontextprotocol|hono|@hono)/' },
    },
    {
      name: 'only-telemetry-knows-opentelemetry',
      comment: 'OpenTelemetry is loaded lazily by telemetry/ alone, so a run without it never parses it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/telemetry/' },
      to: { path: 'node_modules/@opentelemetry/' },
    },
    {
      name: 'sandbox-knows-no-mcp',
      comment: "The sandbox imports nothing from the MCP side: its own files and voisa/'s schemas only",
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: ['^src/(?!sandbox/|voisa/)', 'node_modules/@modelcontextprotocol/'] },
    },
    {
      name: 'only-the-cli-starts-the-sandbox',
      comment: 'The MCP side reaches the sandbox over HTTP like any VOISA; only the command line (and the library face) start one',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(sandbox|cli)/', '^src/index\\.ts$'] },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'tools-know-no-http',
      comment: 'Tools are data and a handler calling the VOISA client: no HTTP server, framework or client of their own',
      severity: 'error',
      from: { path: folders(['tools', 'resources', 'prompts']) },
      to: {
        path: ['^src/(web|http|oauth|stdio)/', 'node_modules/(hono|@hono|undici)/'],
      },
    },
    {
      name: 'tools-know-no-http-modules',
      comment: "Tools know nothing of HTTP: not Node's http modules either",
      severity: 'error',
      from: { path: folders(['tools', 'resources', 'prompts']) },
      to: { path: '^(node:)?https?$', dependencyTypes: ['core'] },
    },
    {
      name: 'library-face-on-top',
      comment: 'src/index.ts is what users import; nothing inside imports it back',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'no-loose-files',
      comment: 'Every module lives in the folder of its concern; only the library face sits at the top of src/',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: "An import that does not resolve is a typo or a missing dependency (dist/ is the build's, absent before it)",
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '(^|/)dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.(css|html)$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
