/**
 * Passkey unlock with the WebAuthn PRF extension (WebAuthn Level 3 §10.1.4): the authenticator
 * returns a secret that only it can compute for our salt; HKDF turns it into an AES-GCM key that
 * wraps the vault's storage key. Browsers without PRF keep the passphrase only.
 */

interface PrfResults {
  prf?: { enabled?: boolean; results?: { first?: ArrayBuffer } };
}

/** True when the browser says it supports the PRF extension. */
export async function passkeyPrfSupported(): Promise<boolean> {
  const PKC = globalThis.PublicKeyCredential as
    | (typeof PublicKeyCredential & { getClientCapabilities?: () => Promise<Record<string, boolean>> })
    | undefined;
  if (!PKC) return false;
  try {
    const capabilities = await PKC.getClientCapabilities?.();
    if (capabilities && 'extension:prf' in capabilities) return capabilities['extension:prf'] === true;
  } catch {
    // Older browsers lack getClientCapabilities; fall through to the platform authenticator check.
  }
  return (await PKC.isUserVerifyingPlatformAuthenticatorAvailable?.()) ?? false;
}

/** What is stored to unlock with the passkey again: never the PRF output itself. */
export interface PasskeyLock {
  credentialId: Uint8Array;
  salt: Uint8Array;
  iv: Uint8Array;
  wrapped: Uint8Array;
}

const INFO = new TextEncoder().encode('tessera/v1/passkey-lock');

async function keyFromPrf(prf: ArrayBuffer, salt: Uint8Array): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', prf, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: INFO },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function evaluate(credentialId: Uint8Array, salt: Uint8Array): Promise<ArrayBuffer> {
  const credential = (await navigator.credentials.get({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      allowCredentials: [{ type: 'public-key', id: credentialId as BufferSource }],
      userVerification: 'required',
      extensions: { prf: { eval: { first: salt as BufferSource } } } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null;
  const first = (credential?.getClientExtensionResults() as PrfResults | undefined)?.prf?.results?.first;
  if (!first) throw new Error('This passkey cannot unlock Tessera (its authenticator gave no PRF secret).');
  return first;
}

/** Creates a passkey for this app and wraps `secret` (the storage key) under its PRF output. */
export async function createPasskeyLock(secret: Uint8Array): Promise<PasskeyLock> {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const credential = (await navigator.credentials.create({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rp: { name: 'Tessera', id: location.hostname },
      user: {
        id: crypto.getRandomValues(new Uint8Array(16)),
        name: 'Tessera app lock',
        displayName: 'Tessera app lock',
      },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
      extensions: { prf: { eval: { first: salt as BufferSource } } } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was created.');
  const results = credential.getClientExtensionResults() as PrfResults;
  if (results.prf?.enabled === false)
    throw new Error('This authenticator does not support unlocking apps (no PRF).');
  const credentialId = new Uint8Array(credential.rawId);
  const prf = results.prf?.results?.first ?? (await evaluate(credentialId, salt));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyFromPrf(prf, salt), secret as BufferSource),
  );
  return { credentialId, salt, iv, wrapped };
}

/** Asks the passkey for its PRF secret and unwraps the storage key with it. */
export async function openPasskeyLock(lock: PasskeyLock): Promise<Uint8Array> {
  const prf = await evaluate(lock.credentialId, lock.salt);
  try {
    const key = await keyFromPrf(prf, lock.salt);
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: lock.iv as BufferSource },
        key,
        lock.wrapped as BufferSource,
      ),
    );
  } catch {
    throw new Error('This passkey does not open Tessera on this device.');
  }
}

/** What a passkey for restore gives the keychain library: its credential id and PRF output. */
export interface RestorePasskey {
  credentialId: Uint8Array;
  prf: Uint8Array;
}

/**
 * Creates a passkey for restoring the keychain on a new device (docs/PROTOCOL.md §8) and evaluates
 * its PRF on the protocol's fixed input. Synced passkeys (iCloud Keychain, Google Password Manager,
 * 1Password) then reach the user's next device; the PRF output never leaves this function's caller.
 */
export async function createRestorePasskey(options: {
  prfInput: Uint8Array;
  userName: string;
}): Promise<RestorePasskey> {
  const credential = (await navigator.credentials.create({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rp: { name: 'Tessera', id: location.hostname },
      user: {
        id: crypto.getRandomValues(new Uint8Array(16)),
        name: options.userName,
        displayName: `Tessera restore (${options.userName})`,
      },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
      extensions: {
        prf: { eval: { first: options.prfInput as BufferSource } },
      } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was created.');
  const results = credential.getClientExtensionResults() as PrfResults;
  if (results.prf?.enabled === false)
    throw new Error('This passkey provider cannot restore Tessera (it does not support the PRF extension).');
  const credentialId = new Uint8Array(credential.rawId);
  const first = results.prf?.results?.first ?? (await evaluate(credentialId, options.prfInput));
  return { credentialId, prf: new Uint8Array(first) };
}

/** Asks the platform for one of `credentialIds` (the passkeys the keychain names) and its PRF output. */
export async function getRestorePasskey(options: {
  prfInput: Uint8Array;
  credentialIds: Uint8Array[];
}): Promise<RestorePasskey> {
  const credential = (await navigator.credentials.get({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      allowCredentials: options.credentialIds.map((id) => ({
        type: 'public-key' as const,
        id: id as BufferSource,
      })),
      userVerification: 'required',
      extensions: {
        prf: { eval: { first: options.prfInput as BufferSource } },
      } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null;
  const first = (credential?.getClientExtensionResults() as PrfResults | undefined)?.prf?.results?.first;
  if (!credential || !first) throw new Error('This passkey cannot restore Tessera (it gave no PRF secret).');
  return { credentialId: new Uint8Array(credential.rawId), prf: new Uint8Array(first) };
}

/**
 * Tells the passkey provider that a credential is gone (WebAuthn Signal API), so it can delete a
 * passkey that a device removal dropped; browsers without the API keep it and the user deletes it.
 */
export async function forgetRestorePasskey(credentialId: Uint8Array): Promise<void> {
  const PKC = globalThis.PublicKeyCredential as
    { signalUnknownCredential?: (o: { rpId: string; credentialId: string }) => Promise<void> } | undefined;
  const id = btoa(String.fromCharCode(...credentialId))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  await PKC?.signalUnknownCredential?.({ rpId: location.hostname, credentialId: id }).catch(() => undefined);
}
