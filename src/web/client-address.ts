/**
 * The client's address behind trusted reverse proxies (`--trust-proxy`, `VOISA_TRUST_PROXY`), for
 * every per-address limit. Off by default: the address is the TCP peer's, and X-Forwarded-For is
 * never read (anyone can send one).
 *
 * With it on, the chain is X-Forwarded-For's entries followed by the peer, and it is walked from the
 * right: while the address in hand is a trusted proxy, the entry to its left is who that proxy
 * forwarded for. The first address that is not trusted is the client; the client-supplied left part
 * of the header is never reached. Trusted is either
 *   - a hop count `N` (1 to 16): the N nearest addresses are proxies, whatever they are. Behind the
 *     shipped nginx, `1` (the client is the entry nginx appended); with a CDN in front of nginx, `2`.
 *   - a list of addresses, CIDR ranges and names, comma-separated, e.g. `loopback,10.0.0.0/8`:
 *     `loopback` (127.0.0.0/8, ::1), `private` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 *     fc00::/7), `linklocal` (169.254.0.0/16, fe80::/10). A proxy's address must be in the list.
 * An entry that is not an IP address (`unknown`, an obfuscated name, junk) ends the walk: the client
 * is then the proxy that wrote it, and nothing to its left is believed. IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) are their IPv4 address; `1.2.3.4:5678` and `[2001:db8::1]:5678` lose the port.
 */
import { BlockList, isIP } from 'node:net';

export type TrustProxy =
  | { kind: 'hops'; hops: number; text: string }
  | { kind: 'list'; list: BlockList; text: string };

const MAX_HOPS = 16;

/** The names a list may use, and the ranges each stands for. */
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

const HOW =
  'give the number of proxies in front of this server (1 behind the shipped nginx), or their addresses and CIDR ranges, comma-separated (e.g. loopback,10.0.0.0/8)';

/** Parses a `--trust-proxy` value; throws an Error that names what is wrong and what to give. */
export function parseTrustProxy(value: string): TrustProxy {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops < 1 || hops > MAX_HOPS)
      throw new Error(
        `a hop count must be 1 to ${MAX_HOPS}, got "${text}" (leave it unset to trust no proxy)`,
      );
    return { kind: 'hops', hops, text };
  }
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new Error(`nothing to trust in "${value}": ${HOW}`);
  const list = new BlockList();
  for (const item of items) {
    for (const range of NAMED[item.toLowerCase()] ?? [item]) {
      const [base = '', prefix, extra] = range.split('/');
      const address = normalizeAddress(base);
      const type = address && isIP(address) === 4 ? 'ipv4' : 'ipv6';
      const max = type === 'ipv4' ? 32 : 128;
      const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
      if (!address || extra !== undefined || !(bits >= 0 && bits <= max))
        throw new Error(
          `"${item}" is not an address, a CIDR range (10.0.0.0/8) or one of ${Object.keys(NAMED).join(', ')}: ${HOW}`,
        );
      if (bits === 0)
        throw new Error(
          `"${item}" trusts every address, so any client could name itself in X-Forwarded-For: ${HOW}`,
        );
      list.addSubnet(address, bits, type);
    }
  }
  return { kind: 'list', list, text: items.join(',') };
}

/**
 * The address a request's per-address limits count: the peer's, or with `trust` the client named by
 * X-Forwarded-For through trusted proxies (see the module comment).
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trust?: TrustProxy): string {
  let current = normalizeAddress(peer);
  if (!current) return peer;
  if (!trust || !forwardedFor) return current;
  const chain = forwardedFor.split(',');
  let hops = trust.kind === 'hops' ? trust.hops : 0;
  for (let i = chain.length - 1; i >= 0; i--) {
    const proxy = trust.kind === 'hops' ? hops-- > 0 : trusted(trust.list, current);
    if (!proxy) break;
    const next = normalizeAddress(chain[i] ?? '');
    if (!next) break;
    current = next;
  }
  return current;
}

/** Whom the server trusts, for the start-up log ("the nearest hop", "proxies at loopback,10.0.0.0/8"). */
export function describeTrustProxy(trust: TrustProxy): string {
  return trust.kind === 'hops'
    ? `the nearest ${trust.hops === 1 ? 'hop' : `${trust.hops} hops`}`
    : `proxies at ${trust.text}`;
}

function trusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/**
 * An address in one canonical form (IPv6 compressed and lower-case, IPv4-mapped IPv6 as IPv4, no
 * port, brackets or zone), or undefined when it is not an IP address.
 */
export function normalizeAddress(raw: string): string | undefined {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(a);
  if (bracketed) a = bracketed[1] ?? '';
  else if (/^[\d.]+:\d{1,5}$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  a = a.replace(/%[\w.-]+$/, '');
  const version = isIP(a);
  if (version === 4) return a;
  if (version !== 6) return undefined;
  const canonical = URL.parse(`http://[${a}]`)?.hostname.slice(1, -1);
  if (!canonical) return undefined;
  const mapped = /^::ffff:([\da-f]{1,4}):([\da-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [hi, lo] = [Number.parseInt(mapped[1] ?? '', 16), Number.parseInt(mapped[2] ?? '', 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
