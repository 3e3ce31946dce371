/**
 * Files the package ships beside its code (`data/`, `views/`, `skills/`), found from the module that
 * needs them. That module may run as source (`src/x/` under vitest), compiled (`dist/x/`), bundled
 * (`dist/bin/`, `dist/bin/chunks/`) or from the Claude Desktop extension (`server/`, `server/chunks/`),
 * so the file is looked for in `from` and up to four folders above it, at each of `places` (paths
 * relative to that folder) in turn; the first path that `fits` wins.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findShipped(
  from: string,
  places: readonly string[],
  fits: (path: string) => boolean = existsSync,
): string | undefined {
  let dir = from;
  for (let up = 0; up <= 4; up++) {
    for (const place of places) {
      const path = join(dir, place);
      if (fits(path)) return path;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}
