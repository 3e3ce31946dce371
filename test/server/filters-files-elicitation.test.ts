/** Tool filters, local file rules, and human confirmation of calls and deletions. */
import { mkdir, mkdtemp, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTools, TOOL_NAMES } from '../../src/tools/index.js';
import { call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });

describe('filters', () => {
  it('read-only lists and allows only read-only tools', async () => {
    const mcp = await connect(sandbox(), { filter: { readOnly: true } });
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.length).toBeGreaterThan(5);
      for (const t of tools) expect(t.annotations?.readOnlyHint).toBe(true);
      expect(tools.map((t) => t.name)).not.toContain('make_call');
      await expect(
        mcp.client.callTool({ name: 'delete_agent', arguments: { agent_id: 'agt_bella0001' } }),
      ).rejects.toThrow(/Unknown tool delete_agent/);
    } finally {
      await mcp.close();
    }
  });

  it('toolsets and an allow-list combine', async () => {
    const mcp = await connect(sandbox(), {
      filter: { toolsets: ['agents', 'voices'], tools: ['list_agents', 'list_voices', 'make_call'] },
    });
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['list_agents', 'list_voices']);
    } finally {
      await mcp.close();
    }
  });

  it('unknown names are an error that lists the valid ones', () => {
    expect(() => selectTools({ toolsets: ['agents', 'billing'] })).toThrow(
      /unknown toolsets: billing\. Valid toolsets: account, agents/,
    );
    expect(() => selectTools({ tools: ['list_agent'] })).toThrow(new RegExp(`Valid tools: ${TOOL_NAMES[0]}`));
  });
});

describe('local files', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'voisa-root-')));
    outside = await realpath(await mkdtemp(path.join(tmpdir(), 'voisa-outside-')));
    await writeFile(path.join(root, 'faq.txt'), 'We open at nine.');
    await writeFile(path.join(outside, 'secret.txt'), 'not for you');
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
    await mkdir(path.join(root, 'out'));
  });

  it('reads a file inside the client roots and uploads it', async () => {
    const mcp = await connect(sandbox(), { roots: [pathToFileURL(root).href] });
    try {
      sandbox().clearRequests();
      const result = await call(mcp.client, 'upload_kb_file', {
        agent_id: 'agt_bella0001',
        file_path: path.join(root, 'faq.txt'),
      });
      expect(result.isError, resultText(result)).toBeFalsy();
      expect(sandbox().requests()[0]?.body).toMatchObject({
        files: [expect.objectContaining({ name: 'faq.txt', size: 16 })],
      });
    } finally {
      await mcp.close();
    }
  });

  it('refuses a path outside the roots, and a symlink leading outside', async () => {
    const mcp = await connect(sandbox(), { roots: [pathToFileURL(root).href] });
    try {
      sandbox().clearRequests();
      for (const p of [
        path.join(outside, 'secret.txt'),
        path.join(root, 'link.txt'),
        path.join(root, '..', path.basename(outside), 'secret.txt'),
      ]) {
        const text = resultText(
          await call(mcp.client, 'upload_kb_file', { agent_id: 'agt_bella0001', file_path: p }),
        );
        expect(text).toMatch(/^FILE_ACCESS \(input\): file\.file_path: .* is outside the client's roots/);
      }
      const missing = resultText(
        await call(mcp.client, 'upload_kb_file', {
          agent_id: 'agt_bella0001',
          file_path: path.join(root, 'nope.txt'),
        }),
      );
      expect(missing).toMatch(/no such file/);
      expect(sandbox().requests()).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('without roots, the working directory is the limit', async () => {
    const mcp = await connect(sandbox());
    try {
      const text = resultText(
        await call(mcp.client, 'upload_kb_file', {
          agent_id: 'agt_bella0001',
          file_path: path.join(outside, 'secret.txt'),
        }),
      );
      expect(text).toMatch(/outside the server's working directory/);
    } finally {
      await mcp.close();
    }
  });

  it('enforces the size cap', async () => {
    const mcp = await connect(sandbox(), {
      roots: [pathToFileURL(root).href],
      files: { mode: 'roots', maxBytes: 10 },
    });
    try {
      const text = resultText(
        await call(mcp.client, 'upload_kb_file', {
          agent_id: 'agt_bella0001',
          file_path: path.join(root, 'faq.txt'),
        }),
      );
      expect(text).toMatch(/16 bytes, over the 10-byte limit/);
    } finally {
      await mcp.close();
    }
  });

  it('refuses local files when file access is off (HTTP mode)', async () => {
    const mcp = await connect(sandbox(), { files: { mode: 'off' } });
    try {
      const text = resultText(
        await call(mcp.client, 'upload_kb_file', { agent_id: 'agt_bella0001', file_path: 'faq.txt' }),
      );
      expect(text).toMatch(/local files are disabled on this server/);
    } finally {
      await mcp.close();
    }
  });

  it('saves conversation audio inside the roots, never outside', async () => {
    const mcp = await connect(sandbox(), { roots: [pathToFileURL(root).href] });
    try {
      const { conversations } = await mcp.api.conversations.list({ limit: 1 });
      const id = conversations[0]!.id;
      const target = path.join(root, 'out', 'call.mp3');
      const ok = await call(mcp.client, 'get_conversation_audio', { conversation_id: id, save_to: target });
      expect(ok.isError, resultText(ok)).toBeFalsy();
      expect(ok.structuredContent).toMatchObject({ saved_to: target, inline: false });
      expect((await readFile(target)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfb]));
      const denied = await call(mcp.client, 'get_conversation_audio', {
        conversation_id: id,
        save_to: path.join(outside, 'x.mp3'),
      });
      expect(resultText(denied)).toMatch(/^FILE_ACCESS/);
    } finally {
      await mcp.close();
    }
  });
});

describe('confirmation by elicitation', () => {
  it('a declined call sends nothing', async () => {
    const asked: string[] = [];
    const mcp = await connect(sandbox(), {
      elicit: (message) => {
        asked.push(message);
        return { action: 'decline' };
      },
    });
    try {
      sandbox().clearRequests();
      const result = await call(mcp.client, 'make_call', {
        agent_id: 'agt_bella0001',
        phone_number: '+49123456789',
      });
      expect(result.isError).toBe(true);
      expect(resultText(result)).toMatch(/^DECLINED: .*nothing was sent/);
      expect(asked[0]).toMatch(/agt_bella0001.*\+49123456789/);
      expect(sandbox().requests()).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('an accepted deletion goes ahead; confirm=false does not', async () => {
    let answer = false;
    const mcp = await connect(sandbox(), {
      elicit: () => ({ action: 'accept', content: { confirm: answer } }),
    });
    try {
      sandbox().clearRequests();
      const no = await call(mcp.client, 'delete_kb_item', { item_id: 'kb_shop00009' });
      expect(resultText(no)).toMatch(/^DECLINED/);
      expect(sandbox().requests()).toEqual([]);
      answer = true;
      const yes = await call(mcp.client, 'delete_kb_item', { item_id: 'kb_shop00009' });
      expect(yes.isError, resultText(yes)).toBeFalsy();
      expect(sandbox().requests()).toMatchObject([
        { method: 'DELETE', path: '/api/knowledge-base/kb_shop00009' },
      ]);
    } finally {
      await mcp.close();
    }
  });

  it('tools that are not destructive never ask', async () => {
    let asked = 0;
    const mcp = await connect(sandbox(), {
      elicit: () => {
        asked++;
        return { action: 'decline' };
      },
    });
    try {
      expect((await call(mcp.client, 'list_agents')).isError).toBeFalsy();
      expect(asked).toBe(0);
    } finally {
      await mcp.close();
    }
  });
});
