import {
  unwrapKeyWithPassphrase,
  VaultError,
  type KeyProvider,
  type VaultKey,
  type VaultStorage,
} from '@tessera/vault';
import { db } from './db.js';

/** IndexedDB key of the vault bytes and of its lock name (one vault per browser profile and origin). */
export const VAULT_KEY = 'main';
const LOCK_NAME = 'tessera-vault';

/**
 * The vault's storage in IndexedDB. A put is one transaction, so a save is atomic; the Web Locks API
 * gives the exclusive write lock across tabs of this origin (the vault re-reads under it).
 */
export function indexedDbStorage(): VaultStorage {
  return {
    label: 'this browser’s Tessera storage',
    async load() {
      const bytes = await (await db()).get('vault', VAULT_KEY);
      return bytes ?? null;
    },
    async save(bytes, options) {
      const database = await db();
      // Relaxed only for what the server already holds (a pull's merge); everything else is strict.
      const durability = options?.durability === 'relaxed' ? 'relaxed' : 'strict';
      const tx = database.transaction('vault', 'readwrite', { durability });
      await tx.store.put(bytes, VAULT_KEY);
      await tx.done;
      vaultChannel().postMessage('saved');
    },
    lock() {
      // Browsers without the Web Locks API (older Safari) get a lock of this tab only.
      if (!navigator.locks) return tabLock();
      return new Promise((resolveLock) => {
        void navigator.locks.request(LOCK_NAME, { mode: 'exclusive' }, () => {
          return new Promise<void>((release) => resolveLock(async () => release()));
        });
      });
    },
  };
}

/**
 * `storage` whose first load answers `bytes` (the vault file as the start read found it, see
 * start-read.ts) and every later load, and every save, goes to `storage`.
 */
export function withFirstLoad(storage: VaultStorage, bytes: Uint8Array | null): VaultStorage {
  let first = true;
  return {
    ...storage,
    load() {
      if (!first) return storage.load();
      first = false;
      return Promise.resolve(bytes);
    },
  };
}

let channel: BroadcastChannel | null = null;

/** Tells other tabs of this origin that the vault changed, so they re-read it. */
export function vaultChannel(): BroadcastChannel {
  channel ??= new BroadcastChannel('tessera-vault');
  return channel;
}

let tail: Promise<void> = Promise.resolve();

/** An exclusive lock among the callers in this tab: each waits for the previous one's release. */
function tabLock(): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acquired = tail.then(() => async () => release());
  tail = tail.then(() => held);
  return acquired;
}

/** Whether any vault has been saved in this browser yet. */
export async function hasStoredVault(): Promise<boolean> {
  return (await (await db()).count('vault', VAULT_KEY)) > 0;
}

/** IndexedDB key of the browser-held storage key (wrapped, see below). */
export const BROWSER_KEY = 'vault-key';
export const WRAPPING_KEY = 'vault-wrapping-key';
/** IndexedDB key of the passkey lock (platform/passkey.ts). */
export const PASSKEY_KEY = 'passkey-lock';

interface BrowserHeldKey {
  kind: 'browser-key';
  keyId: string;
  iv: Uint8Array;
  wrapped: Uint8Array;
}

/** The browser-held storage key as IndexedDB keeps it: wrapped, and the key that unwraps it. */
export interface HeldKeyPair {
  browserKey: BrowserHeldKey;
  wrappingKey: CryptoKey;
}

/** The browser-held key and its wrapping key, read in one transaction (either may be missing). */
async function readHeldKey(): Promise<Partial<HeldKeyPair>> {
  const tx = (await db()).transaction('keys', 'readonly');
  const [browserKey, wrappingKey] = await Promise.all([
    tx.store.get(BROWSER_KEY),
    tx.store.get(WRAPPING_KEY),
    tx.done,
  ]);
  return {
    browserKey: browserKey as BrowserHeldKey | undefined,
    wrappingKey: wrappingKey as CryptoKey | undefined,
  };
}

/** A fresh random storage key, not stored anywhere yet. */
export function newStorageKey(): VaultKey {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const keyId = toB64u(crypto.getRandomValues(new Uint8Array(12)));
  return { key, keyId, custody: 'browser' };
}

function toB64u(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * Key custody of the browser vault. Without an app lock the storage key is kept in IndexedDB,
 * encrypted with a non-extractable AES-GCM key that lives there too: script on this origin can use
 * it, but neither the key file nor a copy of the profile yields the raw key without the browser's own
 * protection of IndexedDB. With the app lock the vault header holds a passphrase wrap (Argon2id, in
 * `@tessera/vault`) and nothing here can open it until `unlockWith` supplies the passphrase or key.
 */
export class BrowserKeys implements KeyProvider {
  /** Passphrase or raw key handed in by the lock screen, used by the next `unlock`. */
  private offered: { passphrase?: string; key?: VaultKey } = {};

  offerPassphrase(passphrase: string): void {
    this.offered = { passphrase };
  }

  offerKey(key: VaultKey): void {
    this.offered = { key };
  }

  /** The browser-held key as the start read found it, used by the next unlock instead of reading again. */
  private held: HeldKeyPair | null = null;

  offerHeldKey(held: HeldKeyPair | null): void {
    this.held = held;
  }

  /** The key last created or unlocked: what the app lock re-wraps. */
  current: VaultKey | null = null;

  async create(): Promise<VaultKey> {
    const key = newStorageKey();
    await this.holdInBrowser(key);
    return (this.current = key);
  }

  async unlock(header: Parameters<KeyProvider['unlock']>[0]): Promise<VaultKey> {
    if (header.custody === 'browser') {
      const offered = this.held;
      this.held = null;
      const { browserKey: held, wrappingKey: wrapping } =
        offered?.browserKey.keyId === header.keyId ? offered : await readHeldKey();
      if (!held || held.keyId !== header.keyId) {
        throw new VaultError(
          'wrong-key',
          'The key of the stored vault is missing from this browser; restore from your keychain or a backup file.',
        );
      }
      const key = new Uint8Array(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: held.iv as BufferSource },
          wrapping as CryptoKey,
          held.wrapped as BufferSource,
        ),
      );
      return (this.current = { key, keyId: header.keyId, custody: 'browser' });
    }
    if (header.custody === 'passphrase' && header.kdf) {
      const offered = this.offered;
      this.offered = {};
      if (offered.key && offered.key.keyId === header.keyId) {
        return (this.current = { ...offered.key, custody: 'passphrase', kdf: header.kdf });
      }
      if (offered.passphrase === undefined)
        throw new VaultError('passphrase-required', 'Tessera is locked: enter your passphrase.');
      const key = await unwrapKeyWithPassphrase({
        wrap: header.kdf,
        keyId: header.keyId,
        passphrase: offered.passphrase,
      });
      return (this.current = { key, keyId: header.keyId, custody: 'passphrase', kdf: header.kdf });
    }
    throw new VaultError(
      'wrong-key',
      `This vault was made elsewhere (its key is kept by ${header.custody}).`,
    );
  }

  /** Keeps the storage key in IndexedDB, wrapped under a non-extractable AES-GCM key. */
  async holdInBrowser({ key, keyId }: { key: Uint8Array; keyId: string }): Promise<void> {
    const database = await db();
    let wrapping = (await database.get('keys', WRAPPING_KEY)) as CryptoKey | undefined;
    if (!wrapping) {
      wrapping = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
      ]);
      await database.put('keys', wrapping, WRAPPING_KEY);
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapped = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, wrapping, key as BufferSource),
    );
    const held: BrowserHeldKey = { kind: 'browser-key', keyId, iv, wrapped };
    await database.put('keys', held, BROWSER_KEY);
  }

  /** Forgets the browser-held copy and the key that wrapped it (the app lock was turned on). */
  async dropBrowserCopy(): Promise<void> {
    const tx = (await db()).transaction('keys', 'readwrite');
    await Promise.all([tx.store.delete(BROWSER_KEY), tx.store.delete(WRAPPING_KEY), tx.done]);
  }
}
