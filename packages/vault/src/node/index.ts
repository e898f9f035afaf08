/// <reference types="node" />
/**
 * Node side of the vault: files, locks and key custody. This module stays light (the CLI imports
 * it at start-up for `defaultHome`); the rest loads on first use.
 */
import type { Vault } from '../vault.js';
import type { NodeVaultOptions, VaultFileReport } from './open.js';
import type { KeyCustody } from '../file-format.js';

export { defaultHome } from './home.js';
export { vaultPaths, RESTORE_COMMAND, type VaultPaths } from './paths.js';
export type { NodeVaultOptions, VaultFileReport } from './open.js';
export type { KeyStoreChoice } from './key-provider.js';

/** Opens the vault in `home`; see open.ts. */
export async function openNodeVault(options: NodeVaultOptions): Promise<Vault> {
  return (await import('./open.js')).openNodeVault(options);
}

/** Verifies the current vault and the previous generation; see open.ts. */
export async function checkNodeVault(
  options: NodeVaultOptions,
): Promise<{ ok: boolean; current: VaultFileReport; previous: VaultFileReport }> {
  return (await import('./open.js')).checkNodeVault(options);
}

/** Restores `vault.bin.1` as the vault; see open.ts. */
export async function restorePreviousGeneration(
  options: NodeVaultOptions & { force?: boolean },
): Promise<{ generation: number; writtenAt: string; entries: number; setAside: string | null }> {
  return (await import('./open.js')).restorePreviousGeneration(options);
}

/** Sets, changes or (null) removes the vault passphrase; see open.ts. */
export async function setVaultPassphrase(
  options: NodeVaultOptions & { newPassphrase: string | null },
): Promise<{ custody: KeyCustody }> {
  return (await import('./open.js')).setVaultPassphrase(options);
}
