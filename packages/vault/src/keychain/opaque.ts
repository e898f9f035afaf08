/**
 * OPAQUE (RFC 9807) client steps through @serenity-kit/opaque, for the account password and for the
 * keychain PIN at the escrow. The server static public key is compared with the one `GET /v1/meta`
 * announced, so a sign-in cannot silently complete against another OPAQUE server.
 */
import type * as Opaque from '@serenity-kit/opaque';
import { constantTimeEqual, fromB64u, utf8 } from './bytes.js';

let loading: Promise<typeof Opaque> | null = null;

/**
 * The OPAQUE library (~420 KB of wasm glue), loaded on the first password or PIN step rather than
 * with the keychain code: a sync round, the browser extension's background and the web app's start
 * never need it. The extension's background is a service worker, where Chromium refuses import();
 * it never reaches this (signing in and the PIN run in the popup), and would get a plain error.
 */
function lib(): Promise<typeof Opaque> {
  loading ??= import('@serenity-kit/opaque').then(
    async (opaque) => {
      await opaque.ready;
      return opaque;
    },
    (err: unknown) => {
      loading = null;
      throw new Error('The OPAQUE library could not be loaded here (password and PIN steps need it).', {
        cause: err,
      });
    },
  );
  return loading;
}

/**
 * Test-only, never in a browser: with both TESSERA_TEST_WEAK_KEY_STRETCHING=1 and NODE_ENV=test (as
 * under vitest, whose env the spawned CLI inherits), the client stretches passwords and PINs with
 * Argon2id at 1 pass over 256 KiB instead of serenity's default (memory-constrained, ~0.3 s a step):
 * the test suite runs hundreds of these steps. The server sees the same messages either way (the
 * stretching happens only in the client), as the server tests' `FAST`. An account registered with
 * one setting does not open with the other (a wrong password), so every client of a test account
 * must agree: the browser never takes this, and tests that mix it with the CLI turn it off.
 */
const WEAK_KEY_STRETCHING = {
  keyStretching: { 'argon2id-custom': { iterations: 1, memory: 256, parallelism: 1 } },
} as const;

type Env = Record<string, string | undefined>;

/** `env`: the process environment; null where there is none (a browser). */
export function testKeyStretching(
  env: Env | null = (globalThis as { process?: { env?: Env } }).process?.env ?? null,
): typeof WEAK_KEY_STRETCHING | Record<string, never> {
  return env?.TESSERA_TEST_WEAK_KEY_STRETCHING === '1' && env.NODE_ENV === 'test' ? WEAK_KEY_STRETCHING : {};
}

export async function startRegistration(secret: string) {
  return (await lib()).client.startRegistration({ password: secret });
}

/** Finishes registration; returns the record for the server and the export key (bytes). */
export async function finishRegistration(options: {
  secret: string;
  state: string;
  registrationResponse: string;
  expectedServerKey: string;
}): Promise<{ registrationRecord: string; exportKey: Uint8Array; serverKeyMatches: boolean }> {
  const result = (await lib()).client.finishRegistration({
    password: options.secret,
    ...testKeyStretching(),
    clientRegistrationState: options.state,
    registrationResponse: options.registrationResponse,
  });
  return {
    registrationRecord: result.registrationRecord,
    exportKey: fromB64u(result.exportKey, 'exportKey'),
    serverKeyMatches: sameKey(result.serverStaticPublicKey, options.expectedServerKey),
  };
}

export async function startLogin(secret: string) {
  return (await lib()).client.startLogin({ password: secret });
}

/**
 * Finishes a login; null when the secret is wrong (or the server is not the one it claims to be:
 * OPAQUE authenticates both sides).
 */
export async function finishLogin(options: {
  secret: string;
  state: string;
  loginResponse: string;
  expectedServerKey: string;
}): Promise<{ finishLoginRequest: string; sessionKey: Uint8Array; exportKey: Uint8Array } | null> {
  const result = (await lib()).client.finishLogin({
    password: options.secret,
    ...testKeyStretching(),
    clientLoginState: options.state,
    loginResponse: options.loginResponse,
  });
  if (!result || !sameKey(result.serverStaticPublicKey, options.expectedServerKey)) return null;
  return {
    finishLoginRequest: result.finishLoginRequest,
    sessionKey: fromB64u(result.sessionKey, 'sessionKey'),
    exportKey: fromB64u(result.exportKey, 'exportKey'),
  };
}

function sameKey(a: string, b: string): boolean {
  return constantTimeEqual(utf8(a), utf8(b));
}
