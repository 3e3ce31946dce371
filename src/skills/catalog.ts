/**
 * The skills this server teaches (the `skills/` folder at the package root: design an agent, test and
 * tune it, place and follow calls, review calls, debug a failed call), served through the SDK's skills
 * extension (SEP-2640, `io.modelcontextprotocol/skills`): `skills/list`, `skills/get`, and every file as
 * an ordinary resource `skill://<name>/SKILL.md`. No protocol code of our own.
 *
 * The folder is read once per process; every server the factory builds attaches the same catalog. The
 * skills are the same for every principal (they hold no account data), so clients may cache them
 * publicly for an hour.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SkillCatalog, SkillWarning } from '@modelcontextprotocol/server/ext/skills';
import { loadSkills } from '@modelcontextprotocol/server/ext/skills/node';
import { findShipped } from '../package/shipped.js';

/**
 * The folder of skill folders: `skills/` beside package.json, found from this module as compiled
 * (`dist/skills/`), as bundled (`dist/bin/`), as source (`src/skills/`), and in the Claude Desktop
 * extension (`server/skills/`, scripts/pack.mjs). Undefined when none is found.
 */
export function findSkillsDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  return findShipped(from, ['skills'], holdsSkills);
}

function holdsSkills(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => existsSync(join(dir, name, 'SKILL.md')));
  } catch {
    return false;
  }
}

/** Skills change only with a release: an hour, and shareable (nothing in them is per principal). */
const CACHE_HINT = { ttlMs: 3_600_000, cacheScope: 'public' } as const;

let loaded: Promise<SkillCatalog | undefined> | undefined;

/**
 * The package's catalog, loaded once per process. A missing folder (a copy of the library without it)
 * serves no skills; a broken skill is a start-up error, not a silent gap.
 */
export function serverSkills(warn: (message: string) => void = () => {}): Promise<SkillCatalog | undefined> {
  loaded ??= load(warn);
  return loaded;
}

async function load(warn: (message: string) => void): Promise<SkillCatalog | undefined> {
  const dir = findSkillsDir();
  if (dir === undefined) {
    warn('no skills folder beside the server: serving no skills');
    return undefined;
  }
  return loadSkills(dir, {
    strict: true,
    cacheHint: CACHE_HINT,
    onWarning: (w: SkillWarning) => warn(`skill ${w.path}: ${w.message}`),
  });
}
