import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readVaultHeader } from '@tessera/vault';
import { openNodeVault, vaultPaths } from '@tessera/vault/node';
import { powershellScript } from '../src/node/os-keychain.js';
import { tempHome, totpEntry } from './fixtures.js';

/** A key id that would close the PowerShell string literal and run a command of its own. */
const HOSTILE = "AAAAAAAAAAAAAAAA'); Remove-Item -Recurse $HOME; ('";

/** The vault file with its (unauthenticated) header's key id replaced, framing kept valid. */
function withKeyId(bytes: Uint8Array, keyId: string): Uint8Array {
  const { header, headerEnd } = readVaultHeader(bytes);
  const json = new TextEncoder().encode(JSON.stringify({ ...header, keyId }));
  const out = new Uint8Array(12 + json.length + (bytes.length - headerEnd));
  out.set(bytes.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, json.length);
  out.set(json, 12);
  out.set(bytes.subarray(headerEnd), 12 + json.length);
  return out;
}

describe('vault key id (it names an OS keychain item and reaches a PowerShell script)', () => {
  it('a tampered header key id is refused where the header is parsed, with a clear error', async () => {
    const home = tempHome();
    const vault = await openNodeVault({ home, keyStore: 'file' });
    await vault.add(totpEntry(1));
    const file = vaultPaths(home).vault;
    const tampered = withKeyId(readFileSync(file), HOSTILE);
    expect(() => readVaultHeader(tampered, file)).toThrow(
      /header key id is not 16 base64url characters \(the header was altered\)/,
    );
    writeFileSync(file, tampered);
    await expect(openNodeVault({ home, keyStore: 'file' })).rejects.toThrow(
      /header key id is not 16 base64url/,
    );
  });

  it('the PowerShell script builder refuses anything but 16 base64url characters', () => {
    for (const bad of [
      HOSTILE,
      'AAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAA=',
      "AAAAAAAAAAAAAAA'",
      'AAAAAAAAAAAAAA\n',
    ]) {
      for (const op of ['get', 'set', 'delete'] as const) {
        expect(() => powershellScript({ op, keyId: bad })).toThrow(/is 16 base64url characters/);
      }
    }
    const good = 'Ab-_0123456789xZ';
    for (const op of ['get', 'set', 'delete'] as const) {
      expect(powershellScript({ op, keyId: good })).toContain(`'tessera-vault', '${good}'`);
    }
  });
});
