import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { VitePWA } from 'vite-plugin-pwa';
import { fileURLToPath } from 'node:url';
import { simpleIcons } from './scripts/icons-plugin.js';

const source = (name: string) => fileURLToPath(new URL(`../${name}/src`, import.meta.url));

/** Paths the server answers itself; the service worker must never answer them with the app shell. */
const serverPaths = [/^\/v1\//, /^\/healthz/, /^\/readyz/, /^\/metrics/, /^\/openapi\.json/];

// Workspace packages resolve to their TypeScript sources, so the web build never depends on the order
// in which `tsc -b` wrote the other packages' dist folders (and tree-shaking sees real modules).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  resolve: {
    alias: [
      { find: /^@tessera\/vault\/keychain$/, replacement: source('vault') + '/keychain/index.ts' },
      { find: /^@tessera\/vault\/share$/, replacement: source('vault') + '/share/index.ts' },
      { find: /^@tessera\/vault\/realms$/, replacement: source('vault') + '/realms/index.ts' },
      { find: /^@tessera\/vault\/folders$/, replacement: source('vault') + '/folders/index.ts' },
      { find: /^@tessera\/(iso|otp|formats|vault|protocol)$/, replacement: source('$1') + '/index.ts' },
    ],
  },
  define: { __APP_VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.2.0') },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The OPAQUE, Argon2id, QR and SQLite chunks are large by nature and loaded only when needed.
    chunkSizeWarningLimit: 2048,
    reportCompressedSize: false,
    // The app, and the page of a time-limited code link (which loads none of the vault).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        share: fileURLToPath(new URL('./share.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  plugins: [
    preact(),
    simpleIcons(),
    VitePWA({
      registerType: 'autoUpdate',
      // Registered from src/sw.ts after the codes show, so installing never delays the first paint.
      injectRegister: false,
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png'],
      manifest: {
        name: 'Tessera',
        short_name: 'Tessera',
        description: 'Two-factor codes that follow you to every device, end-to-end encrypted.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#2f5bd3',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // Precache every chunk, lazy ones included, so adding, importing and unlocking work offline.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm}'],
        // Not the ~3,500 issuer icons: each device caches the index and the icons it shows (below).
        globIgnores: ['icons/**'],
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/icons/'),
            // An icon file never changes within a release of the set; the page fills this cache too.
            handler: 'CacheFirst',
            options: {
              cacheName: 'tessera-icons',
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 1000 },
            },
          },
        ],
        maximumFileSizeToCacheInBytes: 12 * 1024 * 1024,
        navigateFallback: '/index.html',
        navigateFallbackDenylist: serverPaths,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
});
