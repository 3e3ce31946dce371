/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (whose own browser
 * downloads cannot work here). Started with a fresh profile (playwright makes one per launch) and no background networking; screenshots
 * go to `artifacts/screenshots/` (ignored by git; CI keeps them).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { missing } from './services.js';

export const CHROMIUM_BIN = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** For `describe.skipIf(...)`: skips locally without Chromium; under CI the test fails instead. */
export const noChromium = () => missing(CHROMIUM_BIN, 'chromium');

export const ARTIFACTS = resolve(import.meta.dirname, '../../artifacts/screenshots');

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<RunningBrowser> {
  if (!CHROMIUM_BIN)
    throw new Error('chromium is not installed: apt-get install chromium (.ci/run installs it)');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

/** Saves a full-page screenshot as `artifacts/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** Runs axe-core in the page (or one frame of it, e.g. an embedded view); returns its serious and critical violations. */
export async function seriousViolations(page: Page | Frame): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which a page's CSP (no script at all) does not block.
  axeSource ??= readFileSync(resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const results = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[];
  };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
}
