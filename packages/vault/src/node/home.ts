/// <reference types="node" />
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The platform's per-user data directory for Tessera, used when neither `--home` nor TESSERA_HOME
 * is given: `$XDG_DATA_HOME/tessera` (default `~/.local/share/tessera`) on Linux and other Unixes,
 * `~/Library/Application Support/Tessera` on macOS, `%LOCALAPPDATA%\Tessera` on Windows (local,
 * not roaming: a home holds one device's state and keys).
 */
export function defaultHome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'Tessera');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Tessera');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tessera');
}
