/**
 * `--log-format json`: one JSON object a line (time, level, message, instance, data fields, the active
 * span's ids), every string redacted before serialising so a line always parses; the text format is
 * unchanged; the flag and VOISA_LOG_FORMAT are validated. test/e2e/json-logs.test.ts runs the built server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { jsonLine, stderrLogger } from '../../src/mcp/log.js';
import { setSpanIdSource } from '../../src/telemetry/ids.js';
import { REDACTED } from '../../src/voisa/redact.js';

const KEY = 'vsa_live_Zq8dT4kP2mN7xR1sW5yB9cF3hJ6vL0a';
const TIME = '2026-07-28T12:00:00.000Z';

function capture(options: Parameters<typeof stderrLogger>[1] & object = {}) {
  const lines: string[] = [];
  const log = stderrLogger('info', { now: () => TIME, ...options, write: (l) => void lines.push(l) });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

afterEach(() => setSpanIdSource(() => undefined));

describe('the json log format', () => {
  it('writes one object a line: time, level, message, instance, then the data fields', () => {
    const { log, lines, parsed } = capture({ format: 'json', instance: '8081' });
    log('info', 'session abc… closed (idle); 2 live', { sessions: 2, reason: 'idle' });
    log('debug', 'below the floor');
    log('warning', 'Redis unreachable', { nested: { n: [1, 'two'] } });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
    }
    expect(parsed()).toEqual([
      {
        time: TIME,
        level: 'info',
        message: 'session abc… closed (idle); 2 live',
        instance: '8081',
        sessions: 2,
        reason: 'idle',
      },
      {
        time: TIME,
        level: 'warning',
        message: 'Redis unreachable',
        instance: '8081',
        nested: { n: [1, 'two'] },
      },
    ]);
    expect(Object.keys(parsed()[0]!).slice(0, 4)).toEqual(['time', 'level', 'message', 'instance']);
  });

  it('stamps the time as ISO 8601 by default', () => {
    const lines: string[] = [];
    stderrLogger('info', { format: 'json', write: (l) => void lines.push(l) })('info', 'now');
    const { time } = JSON.parse(lines[0]!) as { time: string };
    expect(new Date(time).toISOString()).toBe(time);
  });

  it('adds the active span ids when telemetry provides them, never from data', () => {
    const { log, parsed } = capture({ format: 'json', instance: 'i' });
    log('info', 'no span', { trace_id: 'forged' });
    setSpanIdSource(() => ({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }));
    log('info', 'in a span');
    const [outside, inside] = parsed();
    expect(outside).toEqual({
      time: TIME,
      level: 'info',
      message: 'no span',
      instance: 'i',
      data_trace_id: 'forged',
    });
    expect(inside).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
  });

  it('keeps its own fields: data of the same name goes under data_<name>', () => {
    const { log, parsed } = capture({ format: 'json', instance: 'i' });
    log('error', 'real', { level: 'debug', message: 'fake', time: 0, instance: 'x' });
    expect(parsed()[0]).toEqual({
      time: TIME,
      level: 'error',
      message: 'real',
      instance: 'i',
      data_level: 'debug',
      data_message: 'fake',
      data_time: 0,
      data_instance: 'x',
    });
  });

  it('redacts keys and bearer tokens in the message, data values and data keys, and stays valid JSON', () => {
    const { log, lines, parsed } = capture({ format: 'json' });
    log('error', `refused ${KEY} with Authorization: Bearer tok"en\\`, {
      header: `Bearer abc\\"def`,
      [KEY]: 'as a key',
      list: [`x ${KEY} y`, { deep: `Bearer ${KEY}` }],
      err: new Error(`VOISA said ${KEY}`),
    });
    for (const line of lines) expect(line).not.toMatch(/vsa_live_|tok|abc/);
    const [entry] = parsed();
    expect(entry).toMatchObject({
      message: `refused ${REDACTED} with Authorization: Bearer ${REDACTED}"en\\`,
      header: `Bearer ${REDACTED}"def`,
      [REDACTED]: 'as a key',
      list: [`x ${REDACTED} y`, { deep: `Bearer ${REDACTED}` }],
      err: { name: 'Error', message: `VOISA said ${REDACTED}` },
    });
  });

  it('parses whatever quotes and backslashes surround a token (redaction before serialising)', () => {
    const pieces = ['"', '\\', '\\"', '\n', 'Bearer ', KEY, ' ', 'x', '\u2028', '}'];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return pieces[seed % pieces.length]!;
    };
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 8 }, pick).join('');
      const line = jsonLine({ time: TIME, level: 'info', message: text, data: { text } });
      expect(line.split('\n')).toHaveLength(2);
      const parsed = JSON.parse(line) as { message: string; text: string };
      expect(parsed.message).not.toContain('vsa_live_');
      expect(parsed.text).toBe(parsed.message);
    }
  });

  it('leaves the text format as it was, redacted', () => {
    const lines: string[] = [];
    const log = stderrLogger('info', (l) => void lines.push(l));
    log('info', `key ${KEY}`, { n: 1 });
    expect(lines).toEqual([`[voisa-mcp] info: key ${REDACTED} {"n":1}\n`]);
    const viaOptions: string[] = [];
    stderrLogger('info', { write: (l) => void viaOptions.push(l) })('info', `key ${KEY}`, { n: 1 });
    expect(viaOptions).toEqual(lines);
  });
});

describe('--log-format', () => {
  it('is text by default, json by flag or VOISA_LOG_FORMAT; the flag wins', () => {
    expect(loadConfig([], {}).logFormat).toBe('text');
    expect(loadConfig(['--log-format', 'json'], {}).logFormat).toBe('json');
    expect(loadConfig([], { VOISA_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig(['--log-format', 'text'], { VOISA_LOG_FORMAT: 'json' }).logFormat).toBe('text');
  });

  it('refuses another value with the choices', () => {
    expect(() => loadConfig(['--log-format', 'xml'], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { VOISA_LOG_FORMAT: 'JSONL' })).toThrow(
      '--log-format must be one of text, json; got "JSONL"',
    );
  });
});
