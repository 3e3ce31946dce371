/** esbuild plugins shared by scripts/bundle.mjs (the server) and scripts/build-views.mjs (the views). */

/**
 * zod re-exports all its ~45 message locales as `z.locales` (≈260 KB minified, parsed and kept in
 * memory at every start); its error messages use English, which zod imports on its own. A bundle
 * keeps only `en` in that namespace.
 */
export const zodLocales = {
  name: 'zod-locales',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};
