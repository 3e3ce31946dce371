/** The redaction helpers: the configured key in any form, anything key-shaped, bearer tokens. */
import { describe, expect, it } from 'vitest';
import { stderrLogger } from '../../src/mcp/log.js';
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

  it('leaves a placeholder such as Bearer <VOISA API key> whole, and still redacts real keys', () => {
    const help = 'every request must carry its own Authorization: Bearer <VOISA API key>';
    expect(redactSecrets(help)).toBe(help);
    expect(redactSecrets('Authorization must be "Bearer <VOISA API key>".')).toBe(
      'Authorization must be "Bearer <VOISA API key>".',
    );
    expect(redactSecrets('Bearer <key> or Bearer <token>')).toBe('Bearer <key> or Bearer <token>');
    // Real tokens, also right before a bracket, and a key inside brackets.
    expect(redactSecrets('Bearer abc123<br>')).toBe('Bearer [REDACTED]<br>');
    expect(redactSecrets('<Bearer eyJhbGciOi.x-y_z>')).toBe('<Bearer [REDACTED]>');
    expect(redactSecrets('Bearer <vsa_live_AbC123>')).toBe('Bearer <[REDACTED]>');
    expect(redactSecrets('Bearer\tvsa_test_q9 and bearer opaque+/=token')).toBe(
      'Bearer\t[REDACTED] and bearer [REDACTED]',
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

  it('prints the start-up hint about the bearer key whole', () => {
    const lines: string[] = [];
    const log = stderrLogger('info', (line) => {
      lines.push(line);
      return true;
    });
    log('info', 'not on loopback: every request must carry its own Authorization: Bearer <VOISA API key>');
    expect(lines).toEqual([
      '[voisa-mcp] info: not on loopback: every request must carry its own Authorization: Bearer <VOISA API key>\n',
    ]);
  });
});
