/**
 * Where this machine's PostgreSQL programs are (initdb, pg_ctl, pg_dump): `pg_config --bindir`, so the
 * tests follow whatever major version is installed rather than naming one.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let bindir: string | null = null;

/** The full path of PostgreSQL program `name`. */
export function pgBin(name: string): string {
  bindir ??= execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  return join(bindir, name);
}
