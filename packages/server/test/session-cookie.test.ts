/** The session cookie without a cookie plugin: the same Set-Cookie bytes, the same parsing. */
import { describe, expect, it } from 'vitest';
import { clearedSessionCookieHeader, sessionCookieHeader, sessionCookieValue } from '../src/sessions.js';

const TOKEN = 'A'.repeat(43);

describe('session cookie', () => {
  it('writes what @fastify/cookie wrote for the session cookie', () => {
    // Captured from @fastify/cookie 11.1.5 with the options sessions.ts passed it.
    expect(sessionCookieHeader(TOKEN, false)).toBe(
      `tessera_session=${TOKEN}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Strict`,
    );
    expect(sessionCookieHeader(TOKEN, true)).toBe(
      `tessera_session=${TOKEN}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(clearedSessionCookieHeader(false)).toBe(
      'tessera_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
    );
    expect(clearedSessionCookieHeader(true)).toContain('; HttpOnly; Secure; SameSite=Strict');
  });

  it('reads the cookie as the cookie package parsed it', () => {
    expect(sessionCookieValue(undefined)).toBeUndefined();
    expect(sessionCookieValue('a=1; b=2')).toBeUndefined();
    expect(sessionCookieValue(`tessera_session=${TOKEN}`)).toBe(TOKEN);
    // The first pair of the name wins, names and values are trimmed, a pair without "=" is skipped.
    expect(sessionCookieValue(`a=1; tessera_session ; tessera_session = x%41y ; tessera_session=2`)).toBe(
      'xAy',
    );
    expect(sessionCookieValue('xtessera_session=1; tessera_sessionx=2')).toBeUndefined();
    // Quotes are kept (and then fail the token's format); a bad escape is kept as it is.
    expect(sessionCookieValue('tessera_session="abc"')).toBe('"abc"');
    expect(sessionCookieValue('tessera_session=%E0%A4%A')).toBe('%E0%A4%A');
  });
});
