/**
 * Tests of the built server (dist/) skip locally when it is not built, saying so; under CI they run,
 * and fail on the missing file, so a moved or renamed entry point can never turn them into silent skips.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { skipOutsideCi } from './services.js';

/** For `describe.skipIf(...)`: true when `file` is missing here and this is not CI. */
export function unbuilt(file: string): boolean {
  return skipOutsideCi(
    !existsSync(file),
    `${path.relative(process.cwd(), file)} is not built (npm run build)`,
  );
}
