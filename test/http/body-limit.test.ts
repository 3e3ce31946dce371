/**
 * The HTTP body limit and the file cap agree: a file just under the 25 MB cap, sent as
 * `content_base64` (a third larger), fits in one POST /mcp, as it does in one stdio message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FILE_BYTES } from '../../src/tools/files.js';
import { connectHttp, type Stack, startStack } from './helpers.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the default HTTP body limit', () => {
  it('takes a file near the documented cap as content_base64', async () => {
    const size = DEFAULT_MAX_FILE_BYTES - 1024 * 1024; // room for the sandbox's multipart framing
    const http = await connectHttp(stack.http.mcpUrl);
    try {
      const result = await http.client.callTool(
        {
          name: 'upload_kb_file',
          arguments: {
            agent_id: 'agt_bella0001',
            category: 'policies',
            file_name: 'big.txt',
            content_base64: Buffer.alloc(size, 'a').toString('base64'),
          },
        },
        undefined,
        { timeout: 60_000 },
      );
      expect(result.isError, JSON.stringify(result.content).slice(0, 300)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ type: 'document', name: 'big.txt' });
    } finally {
      await http.close();
    }
  }, 60_000);
});
