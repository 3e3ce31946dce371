/** Matches `METHOD /path` against the route table. */
import type { Route } from './context.js';

export type Match = { route: Route; params: Record<string, string> } | undefined;

export function matchRoute(routes: Route[], method: string, path: string): Match {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const pat = route.pattern.split('/').filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length && ok; i++) {
      const p = pat[i] as string;
      const v = parts[i] as string;
      if (p.startsWith(':')) {
        try {
          params[p.slice(1)] = decodeURIComponent(v);
        } catch {
          ok = false;
        }
      } else if (p !== v) ok = false;
    }
    if (ok) return { route, params };
  }
  return undefined;
}
