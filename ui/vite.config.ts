/**
 * Vite configuration: React, the production build into `dist/` (embedded in the console
 * binary), the dev server proxying `/api` to a running console, and Vitest.
 *
 * Dev proxy: `VEDETTE_CONSOLE_URL` (default `https://127.0.0.1:8443`) is the console to talk
 * to. Its certificate is verified: set `VEDETTE_CONSOLE_CA` to the console's certificate file
 * (`<data-dir>/tls/cert.pem` for the generated self-signed one); there is no "skip verify".
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const consoleUrl = process.env.VEDETTE_CONSOLE_URL ?? 'https://127.0.0.1:8443';
const caFile = process.env.VEDETTE_CONSOLE_CA;

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    // The console serves assets itself; keep them small and self-contained.
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  worker: {
    // The layout worker is an ES module served by the console itself (CSP: no blob: workers).
    format: 'es',
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': {
        target: caFile
          ? { protocol: 'https:', host: new URL(consoleUrl).hostname, port: Number(new URL(consoleUrl).port || 443), ca: readFileSync(caFile, 'utf8') }
          : consoleUrl,
        changeOrigin: true,
        secure: true,
        configure: (proxy) => {
          // The console may compare Origin with its own URL for CSRF defence: present the
          // proxied request as coming from the console's origin.
          proxy.on('proxyReq', (request) => {
            if (request.getHeader('origin')) request.setHeader('origin', new URL(consoleUrl).origin);
          });
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    setupFiles: ['src/test/setup.ts'],
  },
});
