/**
 * The MCP Inspector CLI against the built binary with `--sandbox`: resource
 * templates, a resource read, a missing resource and a prompt, as a user
 * would check them by hand.
 *
 * The inspector CLI (1.0.3) checks for `../package.json` relative to the
 * working directory but imports it relative to its own module; run from dist/
 * both resolve, so it is spawned with cwd = dist.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unbuilt } from '../helpers/built.js';

const DIST = path.resolve('dist');
const CLI = path.join(DIST, 'cli', 'index.js');
const built = !unbuilt(CLI);
const INSPECTOR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector-cli/package.json')),
  'build',
  'cli.js',
);

function inspect(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [INSPECTOR, '--cli', process.execPath, CLI, '--sandbox', ...args], {
      cwd: DIST,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? DIST },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON document the inspector prints (after its deprecation banner, if any). */
function json(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

describe.skipIf(!built)('inspector CLI against dist/cli/index.js --sandbox', () => {
  it('resources/templates/list', async () => {
    const r = await inspect('--method', 'resources/templates/list');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).resourceTemplates.map((t: { uriTemplate: string }) => t.uriTemplate)).toEqual([
      'voisa://agents/{agent_id}',
      'voisa://conversations/{conversation_id}',
      'voisa://conversations/{conversation_id}/transcript',
      'voisa://conversations/{conversation_id}/audio',
      // The workflow skills' files (skills/catalog.ts).
      'skill://{+path}',
    ]);
  });

  it('resources/read of a transcript', async () => {
    const r = await inspect(
      '--method',
      'resources/read',
      '--uri',
      'voisa://conversations/conv_seed0001/transcript',
    );
    expect(r.code, r.stderr).toBe(0);
    const [contents] = json(r.stdout).contents;
    expect(contents).toMatchObject({ mimeType: 'text/plain' });
    expect(contents.text).toMatch(/^\[00:00:01\] agent: /);
  });

  it('resources/read of a missing agent fails with the URI and the VOISA code', async () => {
    const r = await inspect('--method', 'resources/read', '--uri', 'voisa://agents/agt_missing');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('-32602');
    expect(r.stderr).toContain('voisa://agents/agt_missing');
    expect(r.stderr).toContain('AGENT_NOT_FOUND');
  });

  it('prompts/get review_conversation embeds the transcript', async () => {
    const r = await inspect(
      '--method',
      'prompts/get',
      '--prompt-name',
      'review_conversation',
      '--prompt-args',
      'conversation_id=conv_seed0001',
    );
    expect(r.code, r.stderr).toBe(0);
    const uris = json(r.stdout)
      .messages.filter((m: any) => m.content.type === 'resource')
      .map((m: any) => m.content.resource.uri);
    expect(uris).toContain('voisa://conversations/conv_seed0001/transcript');
  });
});
