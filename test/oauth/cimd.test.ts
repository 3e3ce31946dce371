/**
 * Client ID metadata documents: a client whose `client_id` is the https URL of its own metadata
 * (what Claude and VS Code use) signs in without registering. The document is served here over
 * https with a throwaway certificate on this machine, so only a server told `--oauth-allow-private-fetch`
 * (and listening on loopback only) may fetch it. A server reachable beyond loopback keeps oidc-provider's
 * guard on (issue 19.9): no loopback, private, link-local or metadata address, no redirect followed.
 * A document's redirect URIs follow the rules of registration: https, or http on loopback (19.12).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { GENERATIONS } from '../helpers/generations.js';
import {
  connectWithOAuth,
  type OAuthStack,
  pkce,
  REDIRECT_URI,
  startOAuthStack,
  TestOAuthClient,
  UserAgent,
} from './helpers.js';

const PLAIN_HTTP_REDIRECT = 'http://app.example/callback';

/** The page an authorization request with this metadata document URL as client_id lands on. */
async function authorizeWith(s: OAuthStack, clientId: string, redirectUri = REDIRECT_URI) {
  const url = new URL(`${s.issuer}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'voisa:read',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'st',
    resource: s.mcpUrl,
  }))
    url.searchParams.set(k, v);
  const res = await new UserAgent().request(url);
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

describe('client ID metadata documents', () => {
  let stack: OAuthStack;
  let https: Server;
  let documentUrl: string;
  let origin: string;
  let fetched = 0;
  let previous: Dispatcher;
  const dir = mkdtempSync(join(tmpdir(), 'voisa-cimd-'));

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // /oauth/client.json: a good document; /oauth/plain-http.json: one whose redirect URI is plain
    // http off loopback; /oauth/moved.json: a redirect to the good one.
    https = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      fetched++;
      const self = `${origin}${req.url}`;
      if (req.url === '/oauth/moved.json') return void res.writeHead(302, { location: documentUrl }).end();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(
        JSON.stringify({
          client_id: self,
          client_name: 'Metadata Document Client',
          redirect_uris: [req.url === '/oauth/plain-http.json' ? PLAIN_HTTP_REDIRECT : REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    origin = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    documentUrl = `${origin}/oauth/client.json`;
    // This process's fetch trusts the throwaway certificate (as a real host's is trusted by its CA).
    previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, cert] } }));
    // Served on this machine: only a loopback-only server may be told to fetch from it.
    stack = await startOAuthStack({ allowPrivateFetch: true });
  });
  afterAll(async () => {
    await stack?.close();
    setGlobalDispatcher(previous);
    https?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the metadata says so', async () => {
    const meta = (await (
      await fetch(`${stack.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(meta.client_id_metadata_document_supported).toBe(true);
  });

  it.each(GENERATIONS)(
    'a %s client signs in with its URL as client_id, without registering',
    async (generation) => {
      const provider = new TestOAuthClient('ignored: the document names it');
      provider.clientMetadataUrl = documentUrl;
      const client = await connectWithOAuth(generation, stack, provider);
      try {
        expect(provider.info?.client_id).toBe(documentUrl);
        expect((await client.listTools()).length).toBeGreaterThan(10);
      } finally {
        await client.close();
      }
      expect(fetched).toBeGreaterThan(0);
    },
  );

  it('a document whose redirect URI is plain http off loopback is refused', async () => {
    const out = await authorizeWith(stack, `${origin}/oauth/plain-http.json`, PLAIN_HTTP_REDIRECT);
    expect(out.status).toBe(400);
    expect(out.location).toBeNull();
    expect(out.html).toContain('redirect_uris must use https');
  });

  it('a document URL that redirects is not followed', async () => {
    const out = await authorizeWith(stack, `${origin}/oauth/moved.json`);
    expect(out.status).toBe(400);
    expect(out.location).toBeNull();
    expect(out.html).toContain('invalid_client');
  });

  it('a server listening beyond loopback (--host 0.0.0.0) with a loopback public URL fetches nothing private', async () => {
    const open = await startOAuthStack({ sandbox: stack.sandbox, http: { host: '0.0.0.0' } });
    try {
      const before = fetched;
      const out = await authorizeWith(open, documentUrl);
      expect(out.status).toBe(400);
      expect(out.location).toBeNull();
      expect(out.html).toContain('invalid_client');
      // Refused on connecting to the resolved loopback address: the document was never requested.
      expect(fetched).toBe(before);
    } finally {
      await open.close();
    }
  });

  it('--oauth-allow-private-fetch is refused on a server listening beyond loopback', async () => {
    await expect(
      startOAuthStack({ sandbox: stack.sandbox, http: { host: '0.0.0.0' }, allowPrivateFetch: true }),
    ).rejects.toThrow(/--oauth-allow-private-fetch works only on a server that listens on loopback only/);
    expect(() =>
      loadConfig([
        '--http',
        '--host',
        '0.0.0.0',
        '--public-url',
        'https://mcp.example.com',
        '--oauth-allow-private-fetch',
      ]),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig(['--http', '--host', '0.0.0.0'], { VOISA_OAUTH_ALLOW_PRIVATE_FETCH: '1' }),
    ).toThrow(/--oauth-allow-private-fetch works only with a loopback --host/);
    expect(
      loadConfig(['--http', '--public-url', 'http://127.0.0.1:3000', '--oauth-allow-private-fetch']).http
        .oauthAllowPrivateFetch,
    ).toBe(true);
  });
});
