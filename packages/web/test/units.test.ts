/** The web app's pure helpers, in Node: code grouping, times, device names, tags, browser checks. */
import { describe, expect, it } from 'vitest';
import { clockOffsetNotice, defaultDeviceName, groupCode, spokenCode, timeAgo } from '../src/format.js';
import { missingFeatures } from '../src/support.js';
import { parseTags } from '../src/components/EntryDialog.js';
import { forScreen } from '../src/app/words.js';
import { screenDevices } from '../src/app/keychain.js';
import { importFiles } from '@tessera/formats';
import { Keychain, metaDeviceKeyStore } from '@tessera/vault/keychain';
import { FolderError } from '@tessera/vault/folders';
import { safetyDigits } from '../src/components/SafetyNumber.js';
import { openNodeVault } from '@tessera/vault/node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('web helpers', () => {
  it('groups codes for reading and leaves Steam codes whole', () => {
    expect(groupCode('123456')).toBe('123 456');
    expect(groupCode('1234567')).toBe('1234 567');
    expect(groupCode('12345678')).toBe('1234 5678');
    expect(groupCode('1234567890')).toBe('12345 67890');
    expect(groupCode('2BX7K')).toBe('2BX7K');
    expect(spokenCode('123')).toBe('1 2 3');
  });

  it('compares safety numbers by their digits, whatever the spacing', () => {
    expect(safetyDigits('01234 56789\n11111')).toBe('012345678911111');
  });

  it('marks join requests past their 10 minutes on the Backup page, and only those', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    const at = (ms: number) => new Date(ms).toISOString();
    const listed = (id: string, status: 'pending' | 'trusted' | 'removed', createdAt: string | null) => ({
      id,
      name: `Device ${id}`,
      status,
      via: status === 'pending' ? null : 'approval',
      thisDevice: false,
      createdAt,
      lastSeenAt: at(now - 5_000),
    });
    expect(
      screenDevices(
        [
          listed('A', 'trusted', at(now - 3_600_000)),
          listed('B', 'removed', null),
          listed('P', 'pending', at(now - 10 * 60_000)),
          listed('O', 'pending', at(now - 10 * 60_000 - 1)),
          listed('N', 'pending', null),
        ],
        now,
      ),
    ).toEqual([
      { id: 'A', name: 'Device A', status: 'trusted', lastSeenAt: at(now - 5_000) },
      { id: 'B', name: 'Device B', status: 'removed', lastSeenAt: at(now - 5_000) },
      { id: 'P', name: 'Device P', status: 'pending', lastSeenAt: at(now - 5_000), expired: false },
      { id: 'O', name: 'Device O', status: 'pending', lastSeenAt: at(now - 5_000), expired: true },
      { id: 'N', name: 'Device N', status: 'pending', lastSeenAt: at(now - 5_000), expired: true },
    ]);
  });

  it('says how long ago in words', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(timeAgo(null, now)).toBe('never');
    expect(timeAgo(now - 10_000, now)).toBe('just now');
    expect(timeAgo(now - 60_000, now)).toBe('1 minute ago');
    expect(timeAgo(new Date(now - 3 * 3_600_000).toISOString(), now)).toBe('3 hours ago');
    expect(timeAgo('not a date', now)).toBe('unknown');
  });

  it('words the clock banner: how far off, which way, and that codes are corrected', () => {
    expect(clockOffsetNotice(200_000)).toBe(
      'Your device clock is 3 min 20 s behind; codes use the corrected time.',
    );
    expect(clockOffsetNotice(-90_400)).toBe(
      'Your device clock is 1 min 30 s ahead; codes use the corrected time.',
    );
    expect(clockOffsetNotice(-7_200_000)).toBe(
      'Your device clock is 2 h ahead; codes use the corrected time.',
    );
    expect(clockOffsetNotice(6_000)).toBe('Your device clock is 6 s behind; codes use the corrected time.');
  });

  it('names the device from its user agent', () => {
    expect(
      defaultDeviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36'),
    ).toBe('Chrome on Linux');
    expect(
      defaultDeviceName(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('Safari on iOS');
    expect(
      defaultDeviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0'),
    ).toBe('Firefox on Windows');
  });

  it('cleans tags typed with commas', () => {
    expect(parseTags(' work, bank ,, work ,personal ')).toEqual(['work', 'bank', 'personal']);
    expect(parseTags('')).toEqual([]);
  });

  it('lists what a browser lacks, and nothing for a complete one', () => {
    const complete = {
      isSecureContext: true,
      crypto: globalThis.crypto,
      indexedDB: {},
      WebAssembly: {},
    } as unknown as typeof globalThis;
    expect(missingFeatures(complete)).toEqual([]);
    const bare = {
      isSecureContext: false,
      crypto: undefined,
      indexedDB: undefined,
      WebAssembly: undefined,
    } as unknown as typeof globalThis;
    expect(missingFeatures(bare).map((m) => m.id)).toEqual([
      'secure-context',
      'webcrypto',
      'indexeddb',
      'webassembly',
    ]);
  });

  it("speaks of pages and buttons, not CLI commands, for the libraries' real errors", async () => {
    const unknown = await importFiles({
      sources: [{ name: 'notes.txt', bytes: new TextEncoder().encode('just some notes, not an export') }],
    }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/--format/);
    expect(forScreen(unknown)).toMatch(
      /^notes\.txt: not a format Tessera recognises\. Tessera reads the files listed under “Supported apps and files” below$/,
    );

    const vault = await openNodeVault({ home: mkdtempSync(join(tmpdir(), 'words-')), keyStore: 'file' });
    const keychain = new Keychain({
      host: vault,
      deviceKeys: metaDeviceKeyStore(vault),
      clientId: 'tessera-web/0.2.0',
    });
    const notSignedIn = (() => {
      try {
        keychain.requireState();
      } catch (e) {
        return e;
      }
    })();
    expect((notSignedIn as Error).message).toMatch(/`tessera keychain/);
    expect(forScreen(notSignedIn)).toBe(
      'This device is not signed in to a keychain; turn on keychain backup on the Backup page.',
    );
    // Shared folders: the library's CLI wording becomes the Folders page's.
    const noKey = new FolderError(
      'no-sharing-key',
      'bob@example.com has no Tessera account on this server, or has not used shared folders yet: ask them to run `tessera folder list` once.',
    );
    expect(forScreen(noKey)).toBe(
      'That account has not used shared folders yet. Ask them to open the Folders page once, then invite them again.',
    );
    for (const code of [
      'not-confirmed',
      'not-writer',
      'not-owner',
      'not-member',
      'no-invite',
      'invite-keys',
    ] as const)
      expect(forScreen(new FolderError(code, 'run `tessera sync` first.'))).not.toMatch(/tessera|`/);
    // Messages without a command pass through.
    expect(forScreen(new Error('The code did not match.'))).toBe('The code did not match.');
  });
});
