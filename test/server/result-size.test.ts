/** Large results stay under ~20k tokens: the longest list is cut, with a note saying how to get the rest. */
import { describe, expect, it } from 'vitest';
import { fitResult, MAX_RESULT_CHARS, toResult } from '../../src/tools/result.js';

describe('result size', () => {
  it('leaves a small result as it is', () => {
    const data = { agents: [{ id: 'agt_1' }], pagination: { page: 1 } };
    expect(fitResult(data)).toBe(data);
  });

  it('cuts the longest array and says how to get the rest', () => {
    const conversations = Array.from({ length: 2000 }, (_, i) => ({
      id: `conv_${i}`,
      summary: 'x'.repeat(80),
    }));
    const fitted = fitResult({ conversations, pagination: { total: 2000, page: 1, pages: 20 } });
    const json = JSON.stringify(fitted);
    expect(json.length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect((fitted.conversations as unknown[]).length).toBeGreaterThan(100);
    expect(fitted.pagination).toEqual({ total: 2000, page: 1, pages: 20 });
    expect(fitted._truncated).toMatch(/^conversations: \d+ of 2000 shown .* use page\/limit/);
  });

  it('cuts one huge text field', () => {
    const fitted = fitResult({ response: 'y'.repeat(200_000) });
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect(fitted._truncated).toMatch(/Long text fields were cut/);
  });

  it('keeps structuredContent and the JSON text identical after cutting', () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: `kb_${i}`, name: 'n'.repeat(50) }));
    const result = toResult({ items });
    const text = result.content.at(-1) as { text: string };
    expect(JSON.parse(text.text)).toEqual(result.structuredContent);
  });
});
