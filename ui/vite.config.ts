import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` at the repository root starts Rampart and points this proxy at it (RAMPART_DEV_TARGET).
const target = process.env.RAMPART_DEV_TARGET ?? 'https://127.0.0.1:8443';
const proxied = ['/api', '/v1', '/health', '/ready', '/healthz', '/readyz'];

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target, secure: false, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Budget is checked by bench/console.bench.ts (gzipped first load), not by this warning.
    chunkSizeWarningLimit: 1500,
  },
});
