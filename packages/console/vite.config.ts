// Builds the console into dist/: index.html plus content-hashed files under assets/, which the
// control plane serves with a long cache. Bundles the SDK and protocol from their TypeScript
// sources (the `rexec-source` condition), so the console build does not wait for `tsc -b`.
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: { conditions: ['rexec-source', 'browser', 'module', 'import', 'default'] },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The control plane's CSP forbids inline scripts and data: fonts; keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry PURE annotations in comments Rollup cannot place; harmless noise.
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
  },
});
