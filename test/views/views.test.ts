/**
 * The MCP App views (ui://voisa/call, ui://voisa/analytics, ui://voisa/agent) in a real browser: a host
 * page built on the ext-apps AppBridge (test/views/host/host.ts) runs in headless Chromium, connects to
 * voisa-mcp over streamable HTTP (on the embedded sandbox), finds each tool's view in tools/list, reads
 * it, renders it in a sandboxed iframe, sends the tool's input and result, and forwards what the view
 * asks of the server. Then the test looks at the view as a person would: what it shows, the keyboard,
 * the recording, the period switcher, the form; axe-core in light and dark.
 *
 * Both protocol generations: 2026-07-28 (SDK v2 client, AppBridge's own forwarding) and 2025-11-25
 * (SDK 1.32 client, the host forwarding by hand); see host/host.ts.
 *
 * Screenshots (the 2026-07-28 run): artifacts/screenshots/view-{call,analytics,agent}-{light,dark}.png,
 * 720x560. With UPDATE_SCREENSHOTS=1 they are also copied to docs/screenshots/ for docs/resources-and-prompts.md (the
 * seeded data is dated relative to today, so they are not byte-stable and are not rewritten by default).
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_AGENTS } from '../../src/sandbox/index.js';
import {
  ARTIFACTS,
  launchChromium,
  noChromium,
  type RunningBrowser,
  seriousViolations,
} from '../helpers/browser.js';
import { GENERATIONS } from '../helpers/generations.js';
import { api } from '../helpers/sandbox.js';
import { type Stack, startStack } from '../http/helpers.js';
import {
  ensureViewsBuilt,
  focused,
  type Generation,
  HostPage,
  type HostServer,
  startHostServer,
  type Theme,
  tabThrough,
  VIEWPORT,
  type ViewToolCall,
  viewReady,
} from './host.js';

const MIME = 'text/html;profile=mcp-app';
/** The generation whose run saves the screenshots. */
const SHOTS_FROM: Generation = '2026-07-28';
const DOCS_SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const shots: { path: string; bytes: number }[] = [];

/** `hh:mm:ss` or `mm:ss` → seconds. */
function seconds(stamp: string): number {
  return stamp.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

/** Resolves once `predicate` over the host's view tool calls holds; returns the matching call. */
async function viewCalled(
  host: HostPage,
  predicate: (c: ViewToolCall) => boolean,
  ms = 10_000,
): Promise<ViewToolCall> {
  let match: ViewToolCall | undefined;
  await expect
    .poll(
      async () => {
        match = (await host.viewToolCalls()).find(predicate);
        return match !== undefined && (match.result !== undefined || match.error !== undefined);
      },
      { timeout: ms, interval: 50 },
    )
    .toBe(true);
  return match!;
}

async function theme(frame: Frame): Promise<string | undefined> {
  return frame.evaluate(() => (globalThis as any).document.documentElement.dataset.theme);
}

/** Two animation frames: what the view drew after the last change is on screen. */
function settled(frame: Frame): Promise<void> {
  return frame.evaluate(
    () =>
      new Promise<void>((r) =>
        (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(() => r())),
      ),
  );
}

async function saveShot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  shots.push({ path, bytes: statSync(path).size });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(path, join(DOCS_SHOTS, `${name}.png`));
  }
}

/**
 * The view in both themes, as the host switches them (ui/notifications/host-context-changed):
 * `<html data-theme>` follows, axe finds nothing serious, and (one generation) a screenshot of each.
 * Ends back in the light theme.
 */
async function bothThemes(host: HostPage, frame: Frame, view: string, generation: Generation): Promise<void> {
  for (const t of ['light', 'dark'] as Theme[]) {
    await host.setTheme(t);
    await expect.poll(() => theme(frame), { timeout: 5_000 }).toBe(t);
    await settled(frame);
    expect(await seriousViolations(frame), `axe, ${view} view, ${t}`).toEqual([]);
    if (generation === SHOTS_FROM) await saveShot(host.page, `view-${view}-${t}`);
  }
  await host.setTheme('light');
  await expect.poll(() => theme(frame), { timeout: 5_000 }).toBe('light');
}

/** Nothing the CSP refused, no script errors in the view or the host. */
async function noProblems(host: HostPage): Promise<void> {
  expect(
    host.problems.filter((p) => /Content Security Policy|Refused to|pageerror|Uncaught/i.test(p)),
  ).toEqual([]);
  expect(await host.hostErrors()).toEqual([]);
}

describe.skipIf(noChromium())('MCP App views in Chromium', () => {
  let stack: Stack;
  let browser: RunningBrowser;
  let hostServer: HostServer;
  /** A seeded, finished conversation with a recording and a few turns. */
  let conversation: {
    id: string;
    transcript: { speaker: string; text: string; timestamp: string }[];
  } & Record<string, any>;
  /** A call still going (the sandbox keeps it `ongoing` for 2 minutes). */
  let ongoingId: string;

  beforeAll(async () => {
    if (await ensureViewsBuilt()) console.log('built dist/views (missing or older than src/views)');
    stack = await startStack({ sandbox: { callMs: 120_000 } });
    [hostServer, browser] = await Promise.all([startHostServer(), launchChromium()]);
    for (let i = 1; i <= 30 && !conversation; i++) {
      const { json } = await api(
        stack.sandbox,
        'GET',
        `/api/conversations/conv_seed${String(i).padStart(4, '0')}`,
      );
      const c = json.data ?? json;
      if (c.status === 'success' && c.transcript?.length >= 4) conversation = c;
    }
    expect(conversation).toBeDefined();
    const call = await api(stack.sandbox, 'POST', '/api/make-call', {
      agent_id: SEED_AGENTS.restaurant,
      phone_number: '+4915112345678',
    });
    expect(call.status).toBe(201);
    ongoingId = (call.json.data ?? call.json).conversation_id;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await hostServer?.close();
    await stack?.close();
    if (shots.length)
      console.log(
        `screenshots:\n${shots.map((s) => `  ${s.path} ${(s.bytes / 1024).toFixed(1)} KiB`).join('\n')}`,
      );
  }, 30_000);

  it("CORS: a host page on another loopback origin may send 2026-07-28's Mcp-Method and Mcp-Name", async () => {
    const origin = new URL(hostServer.url).origin;
    const res = await fetch(stack.http.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,mcp-method,mcp-name,mcp-protocol-version',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['content-type', 'mcp-method', 'mcp-name', 'mcp-protocol-version']),
    );
  });

  describe.each(GENERATIONS)('%s', (generation) => {
    let host: HostPage;

    beforeAll(async () => {
      host = new HostPage(await browser.browser.newPage({ viewport: VIEWPORT, colorScheme: 'light' }));
      const version = await host.open(hostServer.url, stack.http.mcpUrl, generation);
      expect(version, host.problems.join('\n')).toBe(generation);
    }, 30_000);
    afterAll(async () => {
      await host?.close();
    });

    it('tools/list names a view for each of its tools; each view is MCP App HTML', async () => {
      const tools = await host.listTools();
      const withViews = Object.fromEntries(
        tools
          .map((t) => [t.name, (t._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri])
          .filter(([, uri]) => uri !== undefined),
      );
      expect(withViews).toEqual({
        get_conversation: 'ui://voisa/call',
        get_analytics: 'ui://voisa/analytics',
        get_agent: 'ui://voisa/agent',
        ...(tools.some((t) => t.name === 'wait_for_call') ? { wait_for_call: 'ui://voisa/call' } : {}),
      });
      for (const uri of ['ui://voisa/call', 'ui://voisa/analytics', 'ui://voisa/agent']) {
        const { contents } = await host.readResource(uri);
        expect(contents).toHaveLength(1);
        expect(contents[0]!.uri).toBe(uri);
        expect(contents[0]!.mimeType).toBe(MIME);
        expect(contents[0]!.text).toMatch(/^<!doctype html>/i);
        // Nothing to fetch from elsewhere: the host's default (strictest) CSP is enough.
        expect(contents[0]!._meta?.ui?.csp?.connectDomains ?? []).toEqual([]);
        expect(contents[0]!._meta?.ui?.csp?.resourceDomains ?? []).toEqual([]);
      }
    });

    it('call view: every turn, its speaker and time; a turn seeks the recording (click and Enter); it plays', async () => {
      const { info, frame } = await host.render({
        tool: 'get_conversation',
        args: { conversation_id: conversation.id },
        theme: 'light',
        title: 'Call view',
      });
      expect(info.resourceUri).toBe('ui://voisa/call');
      expect(info.mimeType).toBe(MIME);
      expect(info.result.isError).toBeFalsy();
      expect(info.csp).toContain("connect-src 'none'");
      await viewReady(frame);
      expect(await theme(frame)).toBe('light');
      await noProblems(host);
      // The view runs under the host's CSP: it can reach nothing on the network (only the host).
      const fetched = await frame.evaluate(
        (u) =>
          fetch(u).then(
            () => 'fetched',
            () => 'blocked',
          ),
        hostServer.url,
      );
      expect(fetched).toBe('blocked');
      host.problems.length = 0; // the CSP's report of that refusal
      const turns = info.result.structuredContent.transcript as { speaker: string; timestamp: string }[];
      expect(turns.length).toBe(conversation.transcript.length);

      // One list item per turn, each with its speaker and a <time>, each reachable by keyboard.
      const items = await frame.$$eval('ol#turns > li[data-turn]', (lis: any[]) =>
        lis.map((li) => ({
          speaker:
            (li.matches('[data-speaker]') ? li : li.querySelector('[data-speaker]'))?.dataset.speaker ?? null,
          time: li.querySelector('time')?.textContent?.trim() ?? null,
          focusable:
            li.tabIndex >= 0 || li.querySelector('button, a[href], [tabindex]:not([tabindex="-1"])') !== null,
        })),
      );
      expect(items.length).toBe(turns.length);
      expect(items.map((i) => i.speaker)).toEqual(turns.map((t) => t.speaker));
      for (const item of items) {
        expect(item.time).toBeTruthy();
        expect(item.focusable).toBe(true);
      }
      expect(await frame.locator('#summary').innerText()).toContain(info.result.structuredContent.summary);
      const badge = (name: string) => frame.locator(`[data-badge="${name}"]`).innerText();
      expect((await badge('status')).toLowerCase()).toContain(conversation.status);
      expect((await badge('sentiment')).toLowerCase()).toContain(conversation.sentiment);
      expect((await badge('success')).trim()).not.toBe('');
      expect(await frame.locator('#pending').isVisible()).toBe(false);

      // The recording arrives through the host (the view asks for it) and loads.
      const audio = frame.locator('audio#recording');
      await frame.waitForFunction(
        () => {
          const a = (globalThis as any).document.querySelector('audio#recording');
          return a && a.readyState >= 1 && a.duration > 0;
        },
        undefined,
        { timeout: 10_000 },
      );
      const duration = await audio.evaluate((a: any) => a.duration as number);
      const currentTime = () => audio.evaluate((a: any) => a.currentTime as number);
      const asked = await host.viewMessages();
      expect(
        asked.some(
          (m) =>
            (m.method === 'resources/read' && m.params?.uri?.includes(`${conversation.id}/audio`)) ||
            (m.method === 'tools/call' && m.params?.name === 'get_conversation_audio'),
        ),
        'the view asked the host for the recording',
      ).toBe(true);

      // As rendered, in both themes (before anything is clicked: these are the screenshots).
      await bothThemes(host, frame, 'call', generation);

      // Clicking a turn seeks to it; so does Enter on a focused turn. (Turns within the recording: it is capped.)
      const within = turns
        .map((t, i) => ({ i, at: seconds(t.timestamp) }))
        .filter((t) => t.at > 0 && t.at < duration - 1);
      expect(within.length).toBeGreaterThanOrEqual(2);
      const [byClick, byKey] = [within.at(-1)!, within[0]!];
      await frame.locator(`ol#turns > li[data-turn]`).nth(byClick.i).click();
      await expect.poll(currentTime, { timeout: 5_000 }).toBeCloseTo(byClick.at, 0);
      const keyTarget = frame.locator('ol#turns > li[data-turn]').nth(byKey.i);
      await keyTarget.evaluate((li: any) =>
        (li.tabIndex >= 0 ? li : li.querySelector('button, a[href], [tabindex]')).focus(),
      );
      await host.page.keyboard.press('Enter');
      await expect.poll(currentTime, { timeout: 5_000 }).toBeCloseTo(byKey.at, 0);

      // It plays (muted: headless autoplay rules), time advances; and it seeks.
      const before = await currentTime();
      await audio.evaluate(async (a: any) => {
        a.muted = true;
        await a.play();
      });
      await expect.poll(currentTime, { timeout: 5_000 }).toBeGreaterThan(before + 0.2);
      await audio.evaluate((a: any) => a.pause());
      await audio.evaluate(
        (a: any) =>
          new Promise<void>((r) => {
            a.addEventListener('seeked', () => r(), { once: true });
            a.currentTime = 2;
          }),
      );
      expect(await currentTime()).toBeCloseTo(2, 0);

      // Tab from the host into the view reaches the turns and the player.
      const seen = await tabThrough(host.page, frame, ['li[data-turn', 'audio#recording']);
      expect(seen.some((s) => s.includes('li[data-turn'))).toBe(true);
      expect(seen.some((s) => s.startsWith('audio#recording'))).toBe(true);

      expect(await seriousViolations(frame), 'axe, call view after use').toEqual([]);
      await noProblems(host);
    }, 90_000);

    it('call view: a call still going shows #pending (rendered dark from the start)', async () => {
      const { info, frame } = await host.render({
        tool: 'get_conversation',
        args: { conversation_id: ongoingId },
        theme: 'dark',
        title: 'Call view',
      });
      expect(info.result.structuredContent.status).toBe('ongoing');
      await viewReady(frame);
      expect(await theme(frame)).toBe('dark');
      await expect.poll(() => frame.locator('#pending').isVisible(), { timeout: 5_000 }).toBe(true);
      expect(await frame.locator('ol#turns > li[data-turn]').count()).toBe(
        info.result.structuredContent.transcript.length,
      );
      expect(await seriousViolations(frame), 'axe, pending call, dark').toEqual([]);
      await noProblems(host);
    }, 60_000);

    it('call view for wait_for_call: in progress shows #pending; ended, it reads get_conversation through the host', async (ctx) => {
      if (!(await host.listTools()).some((t) => t.name === 'wait_for_call')) return ctx.skip();
      const going = await host.render({
        tool: 'wait_for_call',
        args: { conversation_id: ongoingId, wait_seconds: 1 },
        theme: 'light',
        title: 'Call view',
      });
      expect(going.info.resourceUri).toBe('ui://voisa/call');
      expect(going.info.result.structuredContent.ended).toBe(false);
      await viewReady(going.frame);
      await expect.poll(() => going.frame.locator('#pending').isVisible(), { timeout: 5_000 }).toBe(true);
      expect(await seriousViolations(going.frame), 'axe, wait_for_call in progress').toEqual([]);

      const ended = await host.render({
        tool: 'wait_for_call',
        args: { conversation_id: conversation.id, wait_seconds: 1 },
        theme: 'dark',
        title: 'Call view',
      });
      expect(ended.info.result.structuredContent.ended).toBe(true);
      await viewReady(ended.frame);
      expect(await theme(ended.frame)).toBe('dark');
      const read = await viewCalled(
        host,
        (c) => c.name === 'get_conversation' && c.arguments?.conversation_id === conversation.id,
      );
      expect(read.result?.isError).toBeFalsy();
      await expect
        .poll(() => ended.frame.locator('ol#turns > li[data-turn]').count(), { timeout: 5_000 })
        .toBe(conversation.transcript.length);
      expect(await ended.frame.locator('#pending').isVisible()).toBe(false);
      expect(await seriousViolations(ended.frame), 'axe, wait_for_call ended, dark').toEqual([]);
      await noProblems(host);
    }, 60_000);

    it('analytics view: the charts plot the timeline; another period asks the host for get_analytics again', async () => {
      const agentId = SEED_AGENTS.restaurant;
      const { info, frame } = await host.render({
        tool: 'get_analytics',
        args: { agent_id: agentId, period: 'month' },
        theme: 'light',
        title: 'Analytics view',
      });
      expect(info.resourceUri).toBe('ui://voisa/analytics');
      expect(info.mimeType).toBe(MIME);
      await viewReady(frame);
      expect(await theme(frame)).toBe('light');
      for (const chart of ['calls', 'success_rate', 'sentiment'])
        expect(await frame.locator(`svg[data-chart="${chart}"]`).count(), chart).toBe(1);

      const points = (chart: string) =>
        frame.$$eval(`svg[data-chart="${chart}"] [data-point]`, (els: any[]) =>
          els.map((e) => ({ date: e.dataset.date as string, value: e.dataset.value as string })),
        );
      const expectTimeline = async (
        timeline: { date: string; calls: number; success_rate?: number | null }[],
      ) => {
        const calls = await points('calls');
        expect(calls.map((p) => p.date)).toEqual(timeline.map((t) => t.date));
        expect(calls.map((p) => Number(p.value))).toEqual(timeline.map((t) => t.calls));
        const rates = await points('success_rate');
        expect(rates.map((p) => p.date)).toEqual(timeline.map((t) => t.date));
        timeline.forEach((t, i) => {
          if (typeof t.success_rate === 'number')
            expect(Number(rates[i]!.value)).toBeCloseTo(t.success_rate, 3);
        });
      };
      const timeline = info.result.structuredContent.timeline;
      expect(timeline.length).toBeGreaterThan(0);
      await expectTimeline(timeline);
      expect(await frame.locator('#total-calls').innerText()).toContain(
        String(info.result.structuredContent.overview.total_calls),
      );

      const pressed = () =>
        frame.$$eval('button[data-period]', (bs: any[]) =>
          Object.fromEntries(bs.map((b) => [b.dataset.period, b.getAttribute('aria-pressed')])),
        );
      expect(await pressed()).toEqual({ day: 'false', week: 'false', month: 'true', year: 'false' });
      await bothThemes(host, frame, 'analytics', generation);

      // Click "week": the view calls get_analytics through the host, and redraws from its answer.
      await frame.locator('button[data-period="week"]').click();
      const week = await viewCalled(
        host,
        (c) => c.name === 'get_analytics' && c.arguments?.period === 'week',
      );
      expect(week.arguments?.agent_id).toBe(agentId);
      expect(week.result?.isError).toBeFalsy();
      const weekTimeline = week.result!.structuredContent.timeline;
      await expect
        .poll(async () => (await points('calls')).length, { timeout: 5_000 })
        .toBe(weekTimeline.length);
      await expectTimeline(weekTimeline);
      expect(await pressed()).toEqual({ day: 'false', week: 'true', month: 'false', year: 'false' });

      // Keyboard: Tab reaches the period buttons; Enter on "year" does the same.
      const seen = await tabThrough(host.page, frame, ['button[data-period=year]']);
      expect(seen.some((s) => s.startsWith('button[data-period=day]'))).toBe(true);
      expect(await focused(frame)).toBe('button[data-period=year]');
      await host.page.keyboard.press('Enter');
      const year = await viewCalled(
        host,
        (c) => c.name === 'get_analytics' && c.arguments?.period === 'year',
      );
      await expect
        .poll(async () => (await points('calls')).length, { timeout: 5_000 })
        .toBe(year.result!.structuredContent.timeline.length);
      expect((await pressed()).year).toBe('true');

      expect(await seriousViolations(frame), 'axe, analytics view after use').toEqual([]);
      await noProblems(host);
    }, 90_000);

    it('agent view: a bad name is refused in the form; a good one is saved with update_agent', async () => {
      const agentId = SEED_AGENTS.retail;
      const { info, frame } = await host.render({
        tool: 'get_agent',
        args: { agent_id: agentId },
        theme: 'light',
        title: 'Agent view',
      });
      expect(info.resourceUri).toBe('ui://voisa/agent');
      expect(info.mimeType).toBe(MIME);
      await viewReady(frame);
      expect(await theme(frame)).toBe('light');
      const agent = info.result.structuredContent;
      const name = frame.locator('form#agent [name="name"]');
      const description = frame.locator('form#agent [name="description"]');
      expect(await name.inputValue()).toBe(agent.name);
      expect(await description.inputValue()).toBe(agent.description);

      await bothThemes(host, frame, 'agent', generation);

      const updates = async () => (await host.viewToolCalls()).filter((c) => c.name === 'update_agent');
      const alert = frame.locator('[role="alert"][data-field="name"]');
      const submit = frame.locator('form#agent button[type="submit"]');

      // Empty: a message at the field, no tool call.
      await name.fill('');
      await submit.click();
      await expect.poll(() => alert.isVisible(), { timeout: 5_000 }).toBe(true);
      expect((await alert.innerText()).trim()).not.toBe('');
      // Over-long: the field either keeps it to 200 characters (maxlength) or refuses it the same way.
      await name.fill('x'.repeat(201));
      if ((await name.inputValue()).length > 200) {
        await submit.click();
        await expect.poll(() => alert.isVisible(), { timeout: 5_000 }).toBe(true);
      }
      expect(await seriousViolations(frame), 'axe, agent view with a field error').toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await updates()).toEqual([]);

      // A good name, submitted with the button: update_agent through the host, and VOISA has it.
      const renamed = `Urban Threads Support (${generation})`;
      await name.fill(renamed);
      await submit.click();
      const saved = await viewCalled(host, (c) => c.name === 'update_agent');
      expect(saved.arguments).toMatchObject({ agent_id: agentId, name: renamed });
      expect(saved.result?.isError).toBeFalsy();
      await expect.poll(() => frame.locator('#status').innerText(), { timeout: 5_000 }).toContain('Saved');
      expect(await alert.isVisible()).toBe(false);
      const stored = await api(stack.sandbox, 'GET', `/api/agents/${agentId}`);
      expect((stored.json.data ?? stored.json).name).toBe(renamed);
      const again = await host.callTool('get_agent', { agent_id: agentId });
      expect(again.structuredContent.name).toBe(renamed);

      // By keyboard: Tab reaches the fields and the button; Enter in the name field submits.
      const seen = await tabThrough(host.page, frame, [
        'input[name=name]',
        '[name=description]',
        'button[type=submit]',
      ]);
      expect(seen.some((s) => s.includes('[name=description]'))).toBe(true);
      const byKeyboard = `${renamed} by keyboard`;
      await name.focus();
      await host.page.keyboard.press('ControlOrMeta+A');
      await host.page.keyboard.type(byKeyboard);
      await host.page.keyboard.press('Enter');
      await viewCalled(host, (c) => c.name === 'update_agent' && c.arguments?.name === byKeyboard);
      await expect
        .poll(async () => (await api(stack.sandbox, 'GET', `/api/agents/${agentId}`)).json.data?.name, {
          timeout: 5_000,
        })
        .toBe(byKeyboard);

      await noProblems(host);
    }, 90_000);
  });
});
