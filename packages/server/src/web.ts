/**
 * Serves the built web app from `webRoot` with an SPA fallback to index.html, and the security
 * headers of every response. The CSP allows no inline script; 'wasm-unsafe-eval' lets the app
 * compile WebAssembly (OPAQUE, Argon2id) without allowing eval.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];

/** The headers of every response; the web app may also reach the escrow realms' origins. */
export function securityHeaders(connectOrigins: readonly string[] = []): Record<string, string> {
  const csp = CSP_DIRECTIVES.map((d) =>
    d === "connect-src 'self'" && connectOrigins.length > 0 ? `${d} ${connectOrigins.join(' ')}` : d,
  ).join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/** Registers the static files; returns whether an index.html exists for the SPA fallback. */
export async function registerWebApp(app: FastifyInstance, webRoot: string): Promise<boolean> {
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    index: ['index.html'],
    // Vite's hashed assets never change; everything else (index.html, the service worker,
    // the manifest) must be revalidated so an update reaches users.
    cacheControl: false,
    setHeaders(res, path) {
      res.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return existsSync(join(webRoot, 'index.html'));
}
