import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard builds to static files in dist/ with relative asset paths, so it can be served
 * at `/` by the API or under any prefix by another server. Everything it needs is bundled: it
 * loads nothing from another origin, only the ledger's /v1 API.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One chart library and React are most of the weight; a single chunk loads in one request.
    chunkSizeWarningLimit: 1_024,
  },
  server: {
    // `npm run dev -w @compute-ledger/web` forwards /v1 to a ledger on LEDGER_URL (default: npm start's port).
    proxy: { '/v1': process.env['LEDGER_URL'] ?? 'http://127.0.0.1:3000' },
  },
});
