/**
 * Local files under attack (issue 9 point 6): `save_to` through a dangling
 * symlink, onto a FIFO, a folder or a hard link; `file_path` on a FIFO or a link
 * to a descriptor. Both file modes: the client's roots (stdio) and one folder
 * (`--allow-file-access`, HTTP); they share `createFileAccess`.
 */
import { execFileSync } from 'node:child_process';
import { constants, existsSync, openSync } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectOptions, call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';
import { connectHttp, startStack, text } from '../http/helpers.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });

let base: string;
beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'voisa-files-')));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/**
 * Without the fix, writers block in open(2) on the FIFO. After `ms` this opens it for
 * reading (synchronously: the thread pool may be full) and drains it, so the blocked
 * calls finish and the test fails on its assertions instead of hanging the run.
 */
function unblockFifoAfter(fifo: string, ms: number): () => void {
  let reader: Socket | undefined;
  const timer = setTimeout(() => {
    reader = new Socket({ fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), writable: false });
    reader.on('error', () => {});
    reader.resume();
  }, ms);
  return () => {
    clearTimeout(timer);
    reader?.destroy();
  };
}

const modes: [string, (root: string) => ConnectOptions][] = [
  ['stdio roots', (root) => ({ roots: [pathToFileURL(root).href] })],
  ['HTTP --allow-file-access', (root) => ({ files: { mode: 'dir', dir: root } })],
];

describe.each(modes)('local files are only regular files (%s)', (label, options) => {
  let root: string;
  let outside: string;
  let conversationId: string;

  beforeAll(async () => {
    const dir = path.join(base, label.replace(/\W+/g, '-'));
    root = path.join(dir, 'root');
    outside = path.join(dir, 'outside');
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(root, 'faq.txt'), 'We open at nine.');
    const mcp = await connect(sandbox());
    try {
      conversationId = (await mcp.api.conversations.list({ limit: 1 })).conversations[0]!.id;
    } finally {
      await mcp.close();
    }
  });

  async function saveTo(save_to: string, mcp: Awaited<ReturnType<typeof connect>>) {
    return call(mcp.client, 'get_conversation_audio', { conversation_id: conversationId, save_to });
  }

  it('refuses save_to through a dangling symlink and creates nothing outside', async () => {
    const escaped = path.join(outside, 'created.mp3');
    await symlink(escaped, path.join(root, 'dangling.mp3'));
    const mcp = await connect(sandbox(), options(root));
    try {
      const result = await saveTo(path.join(root, 'dangling.mp3'), mcp);
      expect(result.isError).toBe(true);
      expect(resultText(result)).toMatch(
        /^FILE_ACCESS \(input\): save_to: .*dangling\.mp3 is a symbolic link/,
      );
      expect(existsSync(escaped)).toBe(false);
      expect((await lstat(path.join(root, 'dangling.mp3'))).isSymbolicLink()).toBe(true);
    } finally {
      await mcp.close();
    }
  });

  it('refuses save_to through a symlink even when it points inside', async () => {
    const inside = path.join(root, 'real.mp3');
    await writeFile(inside, 'keep me');
    await symlink(inside, path.join(root, 'alias.mp3'));
    const mcp = await connect(sandbox(), options(root));
    try {
      const result = await saveTo(path.join(root, 'alias.mp3'), mcp);
      expect(resultText(result)).toMatch(/^FILE_ACCESS .*alias\.mp3 is a symbolic link/);
      expect(await readFile(inside, 'utf8')).toBe('keep me');
    } finally {
      await mcp.close();
    }
  });

  it('refuses save_to onto a FIFO five times at once, and file tools keep answering', async () => {
    const fifo = path.join(root, 'pipe.mp3');
    execFileSync('mkfifo', [fifo]);
    const mcp = await connect(sandbox(), options(root));
    const release = unblockFifoAfter(fifo, 5000);
    try {
      // Without the fix each call blocks a libuv thread in open(2); four fill the pool.
      const saves = Array.from({ length: 5 }, () => saveTo(fifo, mcp));
      const upload = call(mcp.client, 'upload_kb_file', {
        agent_id: 'agt_bella0001',
        file_path: path.join(root, 'faq.txt'),
      });
      for (const result of await Promise.all(saves)) {
        expect(result.isError).toBe(true);
        expect(resultText(result)).toMatch(
          /^FILE_ACCESS .*pipe\.mp3 is a named pipe \(FIFO\); only regular files/,
        );
      }
      const uploaded = await upload;
      expect(uploaded.isError, resultText(uploaded)).toBeFalsy();
    } finally {
      release();
      await mcp.close();
    }
  }, 15_000);

  it('refuses save_to onto a folder or a file with other hard links', async () => {
    await mkdir(path.join(root, 'folder.mp3'));
    const victim = path.join(outside, 'victim.txt');
    await writeFile(victim, 'original');
    await link(victim, path.join(root, 'hard.mp3'));
    const mcp = await connect(sandbox(), options(root));
    try {
      expect(resultText(await saveTo(path.join(root, 'folder.mp3'), mcp))).toMatch(
        /^FILE_ACCESS .*folder\.mp3 is a folder/,
      );
      expect(resultText(await saveTo(path.join(root, 'hard.mp3'), mcp))).toMatch(
        /^FILE_ACCESS .*hard\.mp3 has other hard links/,
      );
      expect(await readFile(victim, 'utf8')).toBe('original');
    } finally {
      await mcp.close();
    }
  });

  it('still saves a new file, and replaces an existing regular file whole', async () => {
    const mcp = await connect(sandbox(), options(root));
    try {
      const target = path.join(root, 'call.mp3');
      const created = await saveTo(target, mcp);
      expect(created.isError, resultText(created)).toBeFalsy();
      expect(created.structuredContent).toMatchObject({ saved_to: target });
      const audio = await readFile(target);
      expect(audio.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfb]));

      const existing = path.join(root, 'old.mp3');
      await writeFile(existing, Buffer.alloc(audio.length + 1000, 0x41));
      const replaced = await saveTo(existing, mcp);
      expect(replaced.isError, resultText(replaced)).toBeFalsy();
      expect(await readFile(existing)).toEqual(audio);
    } finally {
      await mcp.close();
    }
  });

  it('refuses file_path on a FIFO or a link to a descriptor without blocking', async () => {
    const fifo = path.join(root, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    await symlink('/proc/self/fd/0', path.join(root, 'stdin.txt'));
    const mcp = await connect(sandbox(), options(root));
    const release = unblockFifoAfter(fifo, 5000);
    try {
      const upload = (file_path: string) =>
        call(mcp.client, 'upload_kb_file', { agent_id: 'agt_bella0001', file_path });
      const results = await Promise.all(Array.from({ length: 5 }, () => upload(fifo)));
      for (const r of results) expect(resultText(r)).toMatch(/^FILE_ACCESS .*in\.fifo is a named pipe/);
      expect(resultText(await upload(path.join(root, 'stdin.txt')))).toMatch(/^FILE_ACCESS /);
      expect(resultText(await upload('/dev/zero'))).toMatch(/^FILE_ACCESS /);
    } finally {
      release();
      await mcp.close();
    }
  }, 15_000);
});

describe('over the real HTTP server with --allow-file-access', () => {
  it('refuses save_to through a dangling symlink or onto a FIFO, and creates nothing outside', async () => {
    const dir = path.join(base, 'http-stack');
    const root = path.join(dir, 'root');
    await mkdir(root, { recursive: true });
    const escaped = path.join(dir, 'escaped.mp3');
    await symlink(escaped, path.join(root, 'dangling.mp3'));
    const fifo = path.join(root, 'pipe.mp3');
    execFileSync('mkfifo', [fifo]);
    const stack = await startStack({ allowFileAccess: root });
    const c = await connectHttp(stack.http.mcpUrl);
    const release = unblockFifoAfter(fifo, 5000);
    try {
      const id = (await stack.api.conversations.list({ limit: 1 })).conversations[0]!.id;
      const save = async (save_to: string) =>
        text(
          (await c.client.callTool({
            name: 'get_conversation_audio',
            arguments: { conversation_id: id, save_to },
          })) as Parameters<typeof text>[0],
        );
      expect(await save(path.join(root, 'dangling.mp3'))).toMatch(/^FILE_ACCESS .*is a symbolic link/);
      expect(existsSync(escaped)).toBe(false);
      expect(await save(fifo)).toMatch(/^FILE_ACCESS .*is a named pipe/);
    } finally {
      release();
      await c.close();
      await stack.close();
    }
  }, 15_000);
});
