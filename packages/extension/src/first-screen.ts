import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  openVaultFile,
  readVaultHeader,
  sealVaultFile,
  VaultDamagedError,
  type VaultEntry,
  type VaultHeader,
  type VaultKey,
} from '@tessera/vault';

/**
 * The popup's first screen, sealed at rest: the first rows of the list and the entries bound to a
 * site, so the popup paints codes after decrypting a few kilobytes instead of the whole vault (the
 * vault follows right after, and replaces it). It is written in the vault file's layout
 * (`sealVaultFile`: XChaCha20-Poly1305, the header authenticated) under a key derived from the
 * vault's storage key, so it opens exactly when the vault does (the app lock holds it too), and a
 * first-screen file put in the vault's place, or the reverse, fails authentication.
 */

/** Rows the popup draws before anything else: a screenful. */
export const FIRST_ROWS = 12;
/** At most this many site-bound entries are kept; with more, the popup waits for the vault for them. */
export const MAX_BOUND = 100;

export interface FirstScreen {
  /** Live entries in the vault. */
  total: number;
  /** The first `FIRST_ROWS` entries of the list, in its order. */
  top: VaultEntry[];
  /** Every entry bound to a site, or null when there are more than `MAX_BOUND`. */
  bound: VaultEntry[] | null;
}

interface Stored extends FirstScreen {
  v: 1;
}

const INFO = new TextEncoder().encode('tessera/v1/extension-first-screen');

/** The first screen's own key: HKDF-SHA-256 of the storage key, never used for anything else. */
function firstScreenKey(storageKey: Uint8Array): Uint8Array {
  return hkdf(sha256, storageKey, undefined, INFO, 32);
}

/** Seals the first screen of `entries` (the whole list, in the popup's order) for vault `generation`. */
export function sealFirstScreen(options: {
  key: VaultKey;
  generation: number;
  entries: readonly VaultEntry[];
  now?: number;
}): Uint8Array {
  const { key, entries } = options;
  const withSites = entries.filter((e) => (e.sites ?? []).length > 0);
  const stored: Stored = {
    v: 1,
    total: entries.length,
    top: entries.slice(0, FIRST_ROWS),
    bound: withSites.length <= MAX_BOUND ? withSites : null,
  };
  const header: VaultHeader = {
    generation: options.generation,
    keyId: key.keyId,
    custody: key.custody,
    writtenAt: options.now ?? Date.now(),
  };
  return sealVaultFile({
    key: firstScreenKey(key.key),
    header,
    payload: new TextEncoder().encode(JSON.stringify(stored)),
  });
}

/** What a sealed first screen says before it is opened: which key it needs, and its vault generation. */
export function firstScreenHeader(bytes: Uint8Array): VaultHeader {
  return readVaultHeader(bytes, FILE).header;
}

/** Opens a sealed first screen with the storage key; throws VaultDamagedError when anything was altered. */
export function openFirstScreen(options: { key: Uint8Array; bytes: Uint8Array }): FirstScreen {
  const plain = openVaultFile({ key: firstScreenKey(options.key), bytes: options.bytes, file: FILE });
  const stored = JSON.parse(new TextDecoder().decode(plain)) as Partial<Stored>;
  if (
    stored.v !== 1 ||
    typeof stored.total !== 'number' ||
    !Array.isArray(stored.top) ||
    !(stored.bound === null || Array.isArray(stored.bound))
  )
    throw new VaultDamagedError('its content does not have the first-screen layout', FILE);
  return { total: stored.total, top: stored.top, bound: stored.bound };
}

const FILE = 'the popup’s first screen';
