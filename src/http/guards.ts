/**
 * DNS-rebinding protection and CORS. A request's Host must be an allowed name
 * (the localhost names by default when bound to loopback); a request carrying an
 * Origin must come from an allowed origin (localhost origins by default on
 * loopback, none otherwise), and only those get CORS headers.
 */
const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface GuardOptions {
  loopbackOnly: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
}

export interface Guards {
  /** Undefined when the Host header is acceptable, else why not. */
  checkHost(host: string | undefined): string | undefined;
  /** True when the Origin (if any) is acceptable. */
  originAllowed(origin: string | undefined): boolean;
  /** True when Host is not checked at all (non-loopback bind without --allowed-hosts). */
  readonly hostUnchecked: boolean;
}

export function createGuards(o: GuardOptions): Guards {
  const hosts = o.allowedHosts.length
    ? o.allowedHosts.map((h) => h.toLowerCase())
    : o.loopbackOnly
      ? LOCAL_NAMES
      : [];
  const origins = new Set(o.allowedOrigins.map(normalizeOrigin).filter((x): x is string => x !== undefined));

  return {
    hostUnchecked: hosts.length === 0,
    checkHost(host) {
      if (hosts.length === 0) return undefined;
      if (!host) return 'Missing Host header';
      let url: URL;
      try {
        url = new URL(`http://${host}`);
      } catch {
        return 'Invalid Host header';
      }
      const name = url.hostname.toLowerCase();
      return hosts.includes(name) || hosts.includes(url.host.toLowerCase())
        ? undefined
        : `Host not allowed: ${name}`;
    },
    originAllowed(origin) {
      if (origin === undefined) return true;
      const normalized = normalizeOrigin(origin);
      if (!normalized) return false;
      if (origins.size) return origins.has(normalized);
      if (!o.loopbackOnly) return false;
      return LOCAL_NAMES.includes(new URL(normalized).hostname);
    },
  };
}

function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** CORS response headers for an allowed origin. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    // Mcp-Method and Mcp-Name: the standard headers a 2026-07-28 client sends with every request.
    'Access-Control-Allow-Headers':
      'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}
