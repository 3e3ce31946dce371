/**
 * `voisa-mcp --sandbox --http` out of the box (built CLI): the embedded sandbox's
 * webhooks point at the server, so make_call ends in a live resources/updated for
 * its conversation; SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type CallToolResult, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, expect, it } from 'vitest';
import { connectHttp, waitFor } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

it('make_call on --sandbox --http ends in resources/updated for its conversation', async () => {
  child = spawn(process.execPath, ['dist/cli/index.js', '--sandbox', '--http', '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VOISA_API_KEY: '', VOISA_WEBHOOK_SECRET: '', VOISA_LOG_LEVEL: 'info' },
  });
  let log = '';
  child.stderr!.on('data', (c) => {
    log += c;
  });
  await waitFor(() => /sandbox webhooks ->/.test(log), 10_000, 'server start');
  const url = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(log)![1]!;

  const c = await connectHttp(url);
  const updates: string[] = [];
  c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  const made = (await c.client.callTool({
    name: 'make_call',
    arguments: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
  })) as CallToolResult;
  const uri = `voisa://conversations/${(made.structuredContent as { conversation_id: string }).conversation_id}`;
  await c.client.subscribeResource({ uri });
  await waitFor(() => updates.includes(uri), 10_000, 'resources/updated'); // the sandbox call lasts ~4 s
  await c.close();

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  expect(log).not.toMatch(/vsa_[A-Za-z0-9]{8,}/); // no key in the operator log
}, 20_000);
