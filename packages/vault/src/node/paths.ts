/// <reference types="node" />
import { join } from 'node:path';

/** The files of a vault home (see packages/vault/README.md, "File layout"). */
export interface VaultPaths {
  home: string;
  /** The current vault. */
  vault: string;
  /** The previous good generation. */
  previous: string;
  /** Held while a process writes. */
  lock: string;
  /** The device storage key, when no OS keychain holds it. */
  keyFile: string;
}

export function vaultPaths(home: string): VaultPaths {
  return {
    home,
    vault: join(home, 'vault.bin'),
    previous: join(home, 'vault.bin.1'),
    lock: join(home, 'vault.lock'),
    keyFile: join(home, 'vault.key'),
  };
}

/** The command that restores the previous generation (named in damage messages). */
export const RESTORE_COMMAND = 'tessera vault restore-previous';
