/**
 * `--trust-proxy`: parsing, and the client address X-Forwarded-For yields through trusted hops only
 * (src/web/client-address.ts). test/deploy/trust-proxy.test.ts runs it through the real nginx.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { addressBucket } from '../../src/web/auth.js';
import { clientAddress, normalizeAddress, parseTrustProxy } from '../../src/web/client-address.js';

const hops = (n: number) => parseTrustProxy(String(n));

describe('clientAddress', () => {
  it('is the peer without --trust-proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.7')).toBe('127.0.0.1');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.7')).toBe('127.0.0.1');
    expect(clientAddress('10.0.0.5', undefined, hops(1))).toBe('10.0.0.5');
  });

  it('with a hop count, takes the entry that many hops from the right; spoofed left entries are ignored', () => {
    // nginx appends the address it saw: whatever the client wrote stays on the left.
    expect(clientAddress('127.0.0.1', '198.51.100.9', hops(1))).toBe('198.51.100.9');
    expect(clientAddress('127.0.0.1', '127.0.0.3, 10.0.0.1, 198.51.100.9', hops(1))).toBe('198.51.100.9');
    // CDN then nginx: two hops.
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9, 192.0.2.10', hops(2))).toBe('198.51.100.9');
    // Fewer entries than hops: the leftmost there is.
    expect(clientAddress('127.0.0.1', '198.51.100.9', hops(3))).toBe('198.51.100.9');
    // Repeated headers arrive joined by ", " (node:http); extra blanks are no problem.
    expect(clientAddress('127.0.0.1', ' 6.6.6.6 ,  198.51.100.9 ', hops(1))).toBe('198.51.100.9');
  });

  it('with a list, walks left only while the address in hand is a trusted proxy', () => {
    const trust = parseTrustProxy('loopback,10.0.0.0/8');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9', trust)).toBe('198.51.100.9');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9, 10.1.2.3', trust)).toBe('198.51.100.9');
    // An untrusted peer's header is not read at all.
    expect(clientAddress('192.0.2.1', '6.6.6.6', trust)).toBe('192.0.2.1');
    // Every hop trusted: the leftmost is the client (a proxy of ours forwarding its own request).
    expect(clientAddress('127.0.0.1', '10.0.0.2', trust)).toBe('10.0.0.2');
    const one = parseTrustProxy('192.0.2.53');
    expect(clientAddress('192.0.2.53', '6.6.6.6, 198.51.100.9', one)).toBe('198.51.100.9');
    expect(clientAddress('192.0.2.54', '6.6.6.6, 198.51.100.9', one)).toBe('192.0.2.54');
  });

  it('stops at an entry that is not an IP address: the proxy that wrote it is the client', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, unknown', hops(2))).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9, unknown', hops(3))).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '6.6.6.6, , ', hops(1))).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9:abc', hops(1))).toBe('127.0.0.1');
    const trust = parseTrustProxy('loopback');
    expect(clientAddress('127.0.0.1', '6.6.6.6, _hidden, 127.0.0.2', trust)).toBe('127.0.0.2');
    expect(clientAddress('unknown', '6.6.6.6', trust)).toBe('unknown');
  });

  it('handles IPv6 and IPv4-mapped addresses, ports and brackets', () => {
    const trust = parseTrustProxy('loopback,fd00::/8');
    expect(clientAddress('::1', '2001:DB8:0:0::1', trust)).toBe('2001:db8::1');
    expect(clientAddress('::ffff:127.0.0.1', '198.51.100.9', trust)).toBe('198.51.100.9');
    expect(clientAddress('fd12::7', '[2001:db8::9]:4711, fd00::1', trust)).toBe('2001:db8::9');
    expect(clientAddress('::1', '::ffff:198.51.100.9', trust)).toBe('198.51.100.9');
    expect(clientAddress('::1', '198.51.100.9:5678', hops(1))).toBe('198.51.100.9');
    // A mapped IPv4 proxy matches an IPv4 rule; a v6 client is limited per /64 as before.
    expect(clientAddress('::ffff:127.0.0.1', '2001:db8:1:2:3:4:5:6', trust)).toBe('2001:db8:1:2:3:4:5:6');
    expect(addressBucket(clientAddress('::1', '2001:db8:1:2:3:4:5:6', trust))).toBe('2001:db8:1:2::/64');
  });
});

describe('normalizeAddress', () => {
  it('gives one form per address, undefined for anything else', () => {
    expect(normalizeAddress('::FFFF:7F00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('[::1]')).toBe('::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    for (const junk of ['', 'unknown', '1.2.3', '1.2.3.4.5', '01.2.3.4', '[1.2.3.4', 'example.com', '::g'])
      expect(normalizeAddress(junk), junk).toBeUndefined();
  });
});

describe('parseTrustProxy and the config', () => {
  it('reads a hop count or a list, from the flag or VOISA_TRUST_PROXY; off when unset', () => {
    expect(loadConfig([], {}).http.trustProxy).toBeUndefined();
    expect(loadConfig([], { VOISA_TRUST_PROXY: '' }).http.trustProxy).toBeUndefined();
    expect(loadConfig(['--trust-proxy', '1'], {}).http.trustProxy).toMatchObject({ kind: 'hops', hops: 1 });
    expect(loadConfig([], { VOISA_TRUST_PROXY: '2' }).http.trustProxy).toMatchObject({ hops: 2 });
    const listed = loadConfig(['--trust-proxy', ' loopback , 10.0.0.0/8,::1 '], { VOISA_TRUST_PROXY: '1' });
    expect(listed.http.trustProxy).toMatchObject({ kind: 'list', text: 'loopback,10.0.0.0/8,::1' });
  });

  it('refuses what it cannot read, saying what to give', () => {
    for (const [value, why] of [
      ['0', /hop count must be 1 to 16/],
      ['17', /hop count must be 1 to 16/],
      ['nginx', /"nginx" is not an address, a CIDR range/],
      ['10.0.0.0/33', /"10.0.0.0\/33" is not/],
      ['10.0.0.0/8/1', /is not/],
      ['::/0', /trusts every address/],
      ['0.0.0.0/0', /trusts every address/],
      [',', /nothing to trust/],
    ] as const) {
      expect(() => loadConfig(['--trust-proxy', value], {}), value).toThrow(why);
      expect(() => loadConfig([], { VOISA_TRUST_PROXY: value }), value).toThrow(/^--trust-proxy: /);
    }
    expect(() => loadConfig(['--trust-proxy', 'nginx'], {})).toThrow(/1 behind the shipped nginx/);
  });
});
