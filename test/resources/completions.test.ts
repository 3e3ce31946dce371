/** completion/complete of template ids from the API: prefix match, at most 100 values, hasMore. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;

beforeAll(async () => {
  mcp = await connect(sandbox());
});
afterAll(() => mcp.close());

function complete(uri: string, name: string, value: string) {
  return mcp.client.complete({ ref: { type: 'ref/resource', uri }, argument: { name, value } });
}

describe('resource template completions', () => {
  it('completes agent ids by prefix, from the API', async () => {
    sandbox().clearRequests();
    const r = await complete('voisa://agents/{agent_id}', 'agent_id', 'agt_b');
    expect(r.completion).toMatchObject({ values: ['agt_bella0001'], hasMore: false });
    expect(sandbox().requests()[0]).toMatchObject({
      path: '/api/agents/list',
      query: { page: '1', limit: '100' },
    });
  });

  it('completes conversation ids for every conversation template', async () => {
    for (const uri of [
      'voisa://conversations/{conversation_id}',
      'voisa://conversations/{conversation_id}/transcript',
      'voisa://conversations/{conversation_id}/audio',
    ]) {
      const r = await complete(uri, 'conversation_id', 'conv_seed000');
      expect(r.completion.values.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `conv_seed000${i + 1}`));
    }
  });

  it('is case-insensitive, and empty for no match', async () => {
    expect((await complete('voisa://agents/{agent_id}', 'agent_id', 'AGT_CLI')).completion.values).toEqual([
      'agt_clinic002',
    ]);
    expect((await complete('voisa://agents/{agent_id}', 'agent_id', 'zzz')).completion.values).toEqual([]);
  });

  it('caches the id list briefly instead of calling the API on every keystroke', async () => {
    await complete('voisa://agents/{agent_id}', 'agent_id', 'a');
    sandbox().clearRequests();
    for (const v of ['ag', 'agt', 'agt_', 'agt_h'])
      await complete('voisa://agents/{agent_id}', 'agent_id', v);
    expect(sandbox().requests()).toEqual([]);
  });
});
