/**
 * The connected-apps page (`/account`) in a real browser (headless Chromium): a person signs in with the
 * keyboard only, sees the two apps connected to the demo account, revokes one with the keyboard (its
 * token is then refused at /mcp), then the other (the empty state). axe-core finds no serious or
 * critical violation in light or dark; keyboard focus is visible.
 *
 * Screenshots: artifacts/screenshots/account-{list,revoked}-{light,dark}.png; with UPDATE_SCREENSHOTS=1
 * also copied to docs/screenshots/ (client ids and times differ each run: not rewritten by default).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_KEY } from '../../src/sandbox/index.js';
import {
  launchChromium,
  noChromium,
  type RunningBrowser,
  screenshot,
  seriousViolations,
} from '../helpers/browser.js';
import { DEMO_ACCOUNT, type OAuthStack, startOAuthStack, tokens, toolNamesWith } from './helpers.js';

const DOCS_SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

/** Axe in both themes, a screenshot of each (`account-<name>-<theme>`); ends in the light theme. */
async function bothThemes(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousViolations(page), `${name} ${colorScheme}`).toEqual([]);
    const path = await screenshot(page, `account-${name}-${colorScheme}`);
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SHOTS, `account-${name}-${colorScheme}.png`));
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Tabs until the focused element's text is `text` (at most 30 presses); throws when it never is. */
async function tabTo(page: Page, text: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement && document.activeElement.textContent')) === text)
      return;
  }
  throw new Error(`no focusable element says ${JSON.stringify(text)}`);
}

describe.skipIf(noChromium())('the connected-apps page in Chromium', () => {
  let stack: OAuthStack;
  let browser: RunningBrowser;

  beforeAll(async () => {
    stack = await startOAuthStack();
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in, lists and revokes by keyboard, in light and dark, with nothing serious for axe', async () => {
    const claude = await tokens(stack, {}, 'Claude');
    const chatgpt = await tokens(
      stack,
      { apiKey: READ_ONLY_KEY, untick: ['voisa:write', 'voisa:calls'] },
      'ChatGPT',
    );
    expect((await toolNamesWith(stack.mcpUrl, claude.access_token)).status).toBe(200);

    const page = await browser.browser.newPage({
      colorScheme: 'light',
      viewport: { width: 900, height: 760 },
    });
    await page.goto(`${stack.url}/account`);
    await expect.poll(() => page.title(), { timeout: 10_000 }).toContain('Connected apps');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('email');
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.type(DEMO_ACCOUNT.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_ACCOUNT.password);
    await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press('Enter')]);

    await expect
      .poll(() => page.getByRole('heading', { level: 2 }).allTextContents())
      .toEqual(['ChatGPT', 'Claude']);
    expect(await page.getByText(claude.clientId).count()).toBe(1);
    expect(await page.getByText(chatgpt.clientId).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Revoke access for Claude' }).count()).toBe(1);
    await bothThemes(page, 'list');

    // Keyboard only: Tab to the button (focus visibly outlined), Enter.
    await tabTo(page, 'Revoke access for Claude');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press('Enter')]);
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain('Access for Claude was revoked');
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['ChatGPT']);
    await bothThemes(page, 'revoked');
    expect((await toolNamesWith(stack.mcpUrl, claude.access_token)).status).toBe(401);
    expect((await toolNamesWith(stack.mcpUrl, chatgpt.access_token)).status).toBe(200);

    // The last one: the empty state, still clean for axe.
    await tabTo(page, 'Revoke access for ChatGPT');
    await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press('Enter')]);
    await expect.poll(() => page.getByText('No applications are connected').count()).toBe(1);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousViolations(page)).toEqual([]);
    }

    // Sign out by keyboard too.
    await page.emulateMedia({ colorScheme: 'light' });
    await tabTo(page, 'Sign out');
    await Promise.all([page.waitForURL(/signed-out$/), page.keyboard.press('Enter')]);
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');
    await page.close();
  }, 60_000);
});
