/** One capability Tessera needs from the browser, in words a person can act on. */
export interface MissingFeature {
  id: 'secure-context' | 'webcrypto' | 'indexeddb' | 'webassembly';
  what: string;
  why: string;
}

/**
 * Lists what this browser lacks among the things Tessera cannot work without. Checked before anything
 * else loads, so an old or locked-down browser gets an explanation instead of a broken page.
 */
export function missingFeatures(scope: typeof globalThis = globalThis): MissingFeature[] {
  const missing: MissingFeature[] = [];
  if (!scope.isSecureContext) {
    missing.push({
      id: 'secure-context',
      what: 'a secure connection (https)',
      why: 'Browsers only allow encryption and offline storage on pages opened over https or on this computer (localhost).',
    });
  }
  if (!scope.crypto?.subtle || typeof scope.crypto.getRandomValues !== 'function') {
    missing.push({
      id: 'webcrypto',
      what: 'Web Cryptography',
      why: 'Tessera encrypts your codes and keeps this device’s keys with the browser’s built-in cryptography.',
    });
  }
  if (typeof scope.indexedDB === 'undefined' || scope.indexedDB === null) {
    missing.push({
      id: 'indexeddb',
      what: 'storage for sites (IndexedDB)',
      why: 'Your codes are kept on this device in the browser’s site storage. Private windows of some browsers turn it off.',
    });
  }
  if (typeof scope.WebAssembly !== 'object') {
    missing.push({
      id: 'webassembly',
      what: 'WebAssembly',
      why: 'Signing in and protecting your codes with a passphrase run as WebAssembly. Some security settings turn it off.',
    });
  }
  return missing;
}
