/**
 * Node 20 lacks `fs.globSync` (Node 22), which the conformance CLI imports by name.
 * `node --import ./conformance/node20-fs-shim.mjs` registers a resolve hook that
 * serves `fs`/`node:fs` to the conformance package from `fs-with-glob.mjs` below.
 * Other modules keep the real `fs`. No-op on Node >= 22.
 */
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') {
  register('./fs-hook.mjs', import.meta.url);
}
