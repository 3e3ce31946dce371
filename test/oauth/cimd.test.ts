/**
 * Client ID metadata documents: a client whose `client_id` is the https URL of its own metadata
 * (what Claude and VS Code use) signs in without registering. The document is served here over
 * https with a throwaway certificate; the authorization server fetches it (on a loopback issuer only
 * may it fetch from loopback: elsewhere oidc-provider refuses special-use addresses).
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
import { GENERATIONS } from '../helpers/generations.js';
import {
  connectWithOAuth,
  type OAuthStack,
  REDIRECT_URI,
  startOAuthStack,
  TestOAuthClient,
} from './helpers.js';

describe('client ID metadata documents', () => {
  let stack: OAuthStack;
  let https: Server;
  let documentUrl: string;
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
    https = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_req, res) => {
      fetched++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(
        JSON.stringify({
          client_id: documentUrl,
          client_name: 'Metadata Document Client',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    documentUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}/oauth/client.json`;
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
});
