/**
 * A person in a real browser (headless Chromium): the SDK client sends them to the authorize URL; they
 * sign in with the sandbox demo account using the keyboard only, untick `voisa:calls`, approve, and
 * land on the client's loopback callback. The client then sees no make_call. Both pages are
 * screenshotted (artifacts/screenshots/oauth-*.png) and checked with axe-core.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  noChromium,
  type RunningBrowser,
  screenshot,
  seriousViolations,
} from '../helpers/browser.js';
import { connectGeneration } from '../helpers/generations.js';
import {
  DEMO_ACCOUNT,
  finishAuth,
  type OAuthStack,
  startAuthorization,
  startOAuthStack,
  TestOAuthClient,
} from './helpers.js';

describe.skipIf(noChromium())('OAuth sign-in in Chromium', () => {
  let stack: OAuthStack;
  let browser: RunningBrowser;
  let callbackServer: Server;
  let callbackUrl: string;
  const landed: URL[] = [];

  beforeAll(async () => {
    stack = await startOAuthStack();
    browser = await launchChromium();
    // The connector's own redirect target, as a desktop client runs one on loopback.
    callbackServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', callbackUrl);
      if (url.pathname === '/callback') landed.push(url); // not the favicon
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Done</title><p>Signed in.</p>');
    });
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', r));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    callbackServer?.close();
    await stack?.close();
  });

  it('signs in by keyboard, grants less than asked, and the client sees no make_call', async () => {
    const provider = new TestOAuthClient('Browser Connector', callbackUrl);
    const authorizationUrl = await startAuthorization('2026-07-28', stack, provider);
    const page = await browser.browser.newPage({ colorScheme: 'light' });

    await page.goto(authorizationUrl.href);
    await expect.poll(() => page.title(), { timeout: 10_000 }).toContain('Sign in to VOISA');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('email');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.type(DEMO_ACCOUNT.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_ACCOUNT.password);
    const signInShot = await screenshot(page, 'oauth-sign-in');
    await Promise.all([page.waitForURL(/\/oauth\/interaction\/[^/]+$/), page.keyboard.press('Enter')]);

    await expect.poll(() => page.title(), { timeout: 10_000 }).toContain('Allow Browser Connector');
    expect(await page.getByText('127.0.0.1:', { exact: false }).count()).toBeGreaterThan(0);
    for (const scope of ['voisa:read', 'voisa:write', 'voisa:calls'])
      expect(await page.getByLabel(scope, { exact: false }).isChecked()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    // Untick voisa:calls with the keyboard: focus it, then Space.
    await page.getByLabel('voisa:calls', { exact: false }).focus();
    await page.keyboard.press('Space');
    expect(await page.getByLabel('voisa:calls', { exact: false }).isChecked()).toBe(false);
    const consentShot = await screenshot(page, 'oauth-consent');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'oauth-consent-dark');
    await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Allow' }).click()]);
    await page.close();

    const callback = landed.at(-1)!;
    expect(callback.searchParams.get('iss')).toBe(stack.issuer);
    expect(callback.searchParams.get('state')).toBe(provider.state());
    await finishAuth('2026-07-28', stack.mcpUrl, provider, callback);
    expect(provider.saved?.scope?.split(' ').sort()).toEqual(['voisa:read', 'voisa:write']);
    for (const generation of ['2026-07-28', '2025-11-25'] as const) {
      const client = await connectGeneration(generation, { url: stack.mcpUrl }, { authProvider: provider });
      try {
        const names = (await client.listTools()).map((t) => t.name);
        expect(names).toContain('create_agent');
        expect(names).not.toContain('make_call');
      } finally {
        await client.close();
      }
    }
    console.log(`screenshots: ${signInShot}, ${consentShot}`);
  }, 60_000);
});
