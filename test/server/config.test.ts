// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${user_config.…} is an MCPB placeholder, literal on purpose
/** Configuration: environment first, flags win; bad values are clear startup errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';

describe('loadConfig', () => {
  it('reads the environment, and flags override it', () => {
    const env = {
      VOISA_API_KEY: 'k',
      VOISA_TOOLSETS: 'agents',
      VOISA_READ_ONLY: 'true',
      VOISA_BASE_URL: 'http://a.test/v1',
    };
    const fromEnv = loadConfig([], env);
    expect(fromEnv).toMatchObject({
      apiKey: 'k',
      filter: { toolsets: ['agents'], readOnly: true },
      transport: 'stdio',
    });
    expect(fromEnv.client.baseUrl).toBe('http://a.test/v1');
    const flagged = loadConfig(
      ['--toolsets', 'voices,calls', '--base-url', 'http://b.test/v1', '--http', '--port', '0'],
      env,
    );
    expect(flagged.filter.toolsets).toEqual(['voices', 'calls']);
    expect(flagged.client.baseUrl).toBe('http://b.test/v1');
    expect(flagged).toMatchObject({ transport: 'http', http: { port: 0, host: '127.0.0.1' } });
  });

  it('HTTP session limits: defaults, flags and env', () => {
    expect(loadConfig([], {}).http).toMatchObject({ maxSessions: 500, sessionIdleMs: 30 * 60_000 });
    expect(loadConfig(['--max-sessions', '20', '--session-idle-minutes', '5'], {}).http).toMatchObject({
      maxSessions: 20,
      sessionIdleMs: 5 * 60_000,
    });
    expect(loadConfig([], { VOISA_MAX_SESSIONS: '7' }).http.maxSessions).toBe(7);
    expect(() => loadConfig(['--max-sessions', '0'], {})).toThrow(
      /--max-sessions must be a whole number >= 1, got "0"/,
    );
  });

  it('treats an unsubstituted ${user_config.…} as unset', () => {
    const config = loadConfig([], {
      VOISA_API_KEY: '${user_config.api_key}',
      VOISA_READ_ONLY: '${user_config.read_only}',
    });
    expect(config.apiKey).toBeUndefined();
    expect(config.filter.readOnly).toBe(false);
  });

  it('rejects unknown flags, commands, names and malformed values', () => {
    expect(() => loadConfig(['--nope'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['deploy'], {})).toThrow(/Unknown command: deploy/);
    expect(() => loadConfig(['--tools', 'list_agent'], {})).toThrow(
      /Unknown tools: list_agent\. Valid tools: verify_api_key/,
    );
    expect(() => loadConfig(['--base-url', 'ftp://x'], {})).toThrow(/--base-url must be an http\(s\) URL/);
    expect(() => loadConfig(['--log-level', 'loud'], {})).toThrow(/--log-level must be one of/);
    expect(() => loadConfig(['--port', '70000'], {})).toThrow(/--port must be a port number/);
    expect(() => loadConfig([], { VOISA_TIMEOUT_MS: 'soon' })).toThrow(/VOISA_TIMEOUT_MS must be an integer/);
  });

  it('knows its commands', () => {
    expect(loadConfig(['login'], {}).command).toBe('login');
    expect(loadConfig(['--help'], {}).command).toBe('help');
    expect(loadConfig(['--version'], {}).command).toBe('version');
  });
});

describe('--confirm (issue 20, point 3)', () => {
  it('is auto by default; flag or VOISA_CONFIRM choose auto, always or never, and the flag wins', () => {
    expect(loadConfig([], {}).confirm).toBe('auto');
    for (const mode of ['auto', 'always', 'never'] as const) {
      expect(loadConfig(['--confirm', mode], {}).confirm).toBe(mode);
      expect(loadConfig([], { VOISA_CONFIRM: mode }).confirm).toBe(mode);
    }
    expect(loadConfig(['--confirm', 'always'], { VOISA_CONFIRM: 'never' }).confirm).toBe('always');
    // The extension's field left unsubstituted is unset.
    expect(loadConfig([], { VOISA_CONFIRM: '${user_config.confirm}' }).confirm).toBe('auto');
  });

  it('--require-confirmation (and its variable) is an alias of always', () => {
    expect(loadConfig(['--require-confirmation'], {}).confirm).toBe('always');
    expect(loadConfig([], { VOISA_REQUIRE_CONFIRMATION: 'true' }).confirm).toBe('always');
    expect(loadConfig(['--confirm', 'always', '--require-confirmation'], {}).confirm).toBe('always');
    expect(loadConfig([], { VOISA_CONFIRM: 'always', VOISA_REQUIRE_CONFIRMATION: '1' }).confirm).toBe(
      'always',
    );
    // Given on the command line, either one wins over both variables.
    expect(loadConfig(['--confirm', 'never'], { VOISA_REQUIRE_CONFIRMATION: '1' }).confirm).toBe('never');
    expect(loadConfig(['--require-confirmation'], { VOISA_CONFIRM: 'never' }).confirm).toBe('always');
  });

  it('a bad value is a start-up error listing the valid ones', () => {
    expect(() => loadConfig(['--confirm', 'sometimes'], {})).toThrow(
      new ConfigError('--confirm must be one of auto, always, never; got "sometimes"'),
    );
    expect(() => loadConfig([], { VOISA_CONFIRM: 'yes' })).toThrow(
      /^VOISA_CONFIRM must be one of auto, always, never; got "yes"$/,
    );
  });

  it('a contradicting pair is a start-up error naming both', () => {
    expect(() => loadConfig(['--confirm', 'never', '--require-confirmation'], {})).toThrow(
      '--confirm never and --require-confirmation contradict each other (--require-confirmation means --confirm always): keep one',
    );
    expect(() => loadConfig(['--confirm', 'auto', '--require-confirmation'], {})).toThrow(
      /--confirm auto and --require-confirmation contradict/,
    );
    expect(() => loadConfig([], { VOISA_CONFIRM: 'never', VOISA_REQUIRE_CONFIRMATION: 'true' })).toThrow(
      /^VOISA_CONFIRM=never and VOISA_REQUIRE_CONFIRMATION contradict each other/,
    );
  });
});
