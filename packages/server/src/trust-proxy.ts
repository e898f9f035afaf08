/**
 * Which peers may tell the server the client's address. Behind a proxy that appends to
 * X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`, Caddy), the leftmost entries are whatever
 * the client sent; only the hops added by trusted proxies can be believed. Fastify (proxy-addr)
 * walks the header from the right while each hop is a trusted address and takes the first untrusted
 * one, so the server must know its proxies' addresses: "trust everyone" would let a client pick its
 * own address and void every per-address limit.
 */
import { isIP } from 'node:net';

/** proxy-addr's names for the loopback, link-local and unique-local ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Parses the trusted proxy addresses: a comma-separated string or a list of IP addresses, CIDR
 * ranges or `loopback`/`linklocal`/`uniquelocal`. Throws naming the entry that is none of those.
 */
export function parseTrustedProxies(options: {
  value: string | readonly string[];
  source: string;
}): string[] {
  const entries = (typeof options.value === 'string' ? options.value.split(',') : [...options.value])
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!validEntry(entry))
      throw new Error(
        `${options.source}: ${JSON.stringify(entry)} is not an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal or uniquelocal; list the addresses of your reverse proxies`,
      );
  }
  if (entries.length === 0)
    throw new Error(
      `${options.source}: list the addresses of your reverse proxies (e.g. 127.0.0.1 or 10.0.0.0/8)`,
    );
  return entries;
}
