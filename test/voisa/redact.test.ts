/** The redaction helpers: the configured key in any form, anything key-shaped, bearer tokens. */
import { describe, expect, it } from 'vitest';
import { stderrLogger } from '../../src/log.js';
import { redactSecrets } from '../../src/voisa/redact.js';

describe('redactSecrets', () => {
  it('removes the given keys, also URL-encoded, and anything shaped like a VOISA key', () => {
    const odd = 'my secret/key+1';
    const text = `a ${odd} b ${encodeURIComponent(odd)} c vsa_live_AbC123-x_y d VSA_TEST_q9 e`;
    expect(redactSecrets(text, [odd])).toBe('a [REDACTED] b [REDACTED] c [REDACTED] d [REDACTED] e');
  });

  it('removes bearer tokens and leaves other text alone', () => {
    expect(redactSecrets('authorization: Bearer abc.def-123, next')).toBe(
      'authorization: Bearer [REDACTED], next',
    );
    expect(redactSecrets('vsa_ alone, vsa_prod_x and agt_123 stay')).toBe(
      'vsa_ alone, vsa_prod_x and agt_123 stay',
    );
  });
});

describe('stderrLogger', () => {
  it('redacts key-shaped strings in messages and data, as a last line of defence', () => {
    const lines: string[] = [];
    const log = stderrLogger('debug', (line) => {
      lines.push(line);
      return true;
    });
    log('warning', 'VOISA said vsa_test_leak123', { requestId: 'req_vsa_live_leak456' });
    expect(lines).toEqual(['[voisa-mcp] warning: VOISA said [REDACTED] {"requestId":"req_[REDACTED]"}\n']);
  });
});
