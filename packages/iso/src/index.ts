/**
 * The runtime-specific reach of Tessera's browser-safe packages, in one place (the model of
 * SimpleWebAuthn's `iso` helpers: code that runs in Node and in browsers keeps what differs between
 * them behind one small layer).
 *
 * The web app and the extension bundle @tessera/otp, @tessera/protocol and @tessera/vault, so none of
 * them may import a Node module. On Node they still want OpenSSL where it is several times faster
 * than JavaScript that has not warmed up (HMAC, SHA-256, Ed25519, X25519, ChaCha20-Poly1305): they
 * take node:crypto from here, fetched at run time through `process.getBuiltinModule` (Node 20.16+,
 * 22.3+), which a bundler cannot follow. Elsewhere, or on a Node without it, `nodeCrypto` is
 * undefined and each caller uses its JavaScript implementation (the same bytes).
 *
 * No dependencies, no Node types: the part of node:crypto Tessera uses is typed below.
 */

/** A key object of node:crypto (an Ed25519 or X25519 key). */
export interface NodeKeyObject {
  readonly asymmetricKeyType?: string;
  export(options: { format: 'der'; type: 'spki' }): Uint8Array;
}

interface NodeCipherState {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

interface AeadOptions {
  authTagLength: number;
}

/** The part of node:crypto that Tessera's browser-safe packages use. */
export interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  /** One-shot digest (Node 20.12+, 21.7+): no Hash object per call, which dominates for small inputs. */
  hash?(algorithm: 'sha256', data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  createHmac(algorithm: string, key: Uint8Array): { update(data: Uint8Array): { digest(): Uint8Array } };
  createPrivateKey(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): NodeKeyObject;
  createPublicKey(options: NodeKeyObject | { key: Uint8Array; format: 'der'; type: 'spki' }): NodeKeyObject;
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject): Uint8Array;
  verify(algorithm: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
  diffieHellman(options: { privateKey: NodeKeyObject; publicKey: NodeKeyObject }): Uint8Array;
  createCipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: AeadOptions,
  ): NodeCipherState & { getAuthTag(): Uint8Array };
  createDecipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: AeadOptions,
  ): NodeCipherState & { setAuthTag(tag: Uint8Array): unknown };
}

/**
 * node:crypto as `scope` (a global object) offers it through `process.getBuiltinModule`, else
 * undefined: a browser has no `process`, an older Node no `getBuiltinModule`. Never throws.
 */
export function nodeCryptoIn(scope: object): NodeCrypto | undefined {
  const { process } = scope as { process?: { getBuiltinModule?: (id: string) => unknown } };
  return (process?.getBuiltinModule?.('node:crypto') ?? undefined) as NodeCrypto | undefined;
}

/** node:crypto when this runtime offers it, else undefined (browsers): see the module comment. */
export const nodeCrypto: NodeCrypto | undefined = nodeCryptoIn(globalThis);
