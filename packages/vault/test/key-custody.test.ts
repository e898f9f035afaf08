import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toB64u, unwrapKeyWithPassphrase, wrapKeyWithPassphrase } from '@tessera/vault';
import { checkNodeVault, openNodeVault, setVaultPassphrase, vaultPaths } from '@tessera/vault/node';
import { tempHome, totpEntry } from './fixtures.js';

/** Small Argon2id parameters so unit tests stay quick; the CLI uses PASSPHRASE_KDF. */
const FAST = { t: 1, m: 8 * 1024, p: 1 };

describe('passphrase wrap (Argon2id)', () => {
  it('unwraps with the right passphrase only', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const wrap = await wrapKeyWithPassphrase({ key, keyId: 'k1', passphrase: 'correct horse', params: FAST });
    expect(await unwrapKeyWithPassphrase({ wrap, keyId: 'k1', passphrase: 'correct horse' })).toEqual(key);
    await expect(
      unwrapKeyWithPassphrase({ wrap, keyId: 'k1', passphrase: 'Correct horse' }),
    ).rejects.toMatchObject({ code: 'wrong-passphrase' });
    // The wrap is bound to its key id.
    await expect(
      unwrapKeyWithPassphrase({ wrap, keyId: 'k2', passphrase: 'correct horse' }),
    ).rejects.toMatchObject({ code: 'wrong-passphrase' });
  });

  it('refuses KDF parameters beyond the caps before running the KDF', async () => {
    const key = new Uint8Array(32);
    const wrap = await wrapKeyWithPassphrase({ key, keyId: 'k', passphrase: 'p', params: FAST });
    for (const bad of [{ m: 4 * 1024 * 1024 }, { t: 1000 }, { p: 64 }, { m: 1 }]) {
      await expect(
        unwrapKeyWithPassphrase({ wrap: { ...wrap, ...bad }, keyId: 'k', passphrase: 'p' }),
      ).rejects.toThrow(/out of range/);
    }
  });
});

describe('vault passphrase', () => {
  it('locks an existing vault, opens only with the passphrase, and unlocks back to the key file', async () => {
    const home = tempHome();
    const paths = vaultPaths(home);
    const vault = await openNodeVault({ home, keyStore: 'file' });
    await vault.add(totpEntry(1));
    await vault.add(totpEntry(2));
    expect(await setVaultPassphrase({ home, newPassphrase: 'correct horse' })).toEqual({
      custody: 'passphrase',
    });
    expect(existsSync(paths.keyFile)).toBe(false); // the old key is gone, not left beside the vault
    await expect(openNodeVault({ home })).rejects.toMatchObject({ code: 'passphrase-required' });
    await expect(openNodeVault({ home, passphrase: 'wrong' })).rejects.toThrow(
      'the passphrase does not open this vault',
    );
    let asked = 0;
    const opened = await openNodeVault({ home, askPassphrase: async () => (asked++, 'correct horse') });
    expect([asked, opened.entries().length]).toEqual([1, 2]);
    // Both generations open with the new key.
    const report = await checkNodeVault({ home, passphrase: 'correct horse' });
    expect([report.ok, report.current.custody, report.previous.custody]).toEqual([
      true,
      'passphrase',
      'passphrase',
    ]);
    expect(
      await setVaultPassphrase({ home, passphrase: 'correct horse', newPassphrase: null, keyStore: 'file' }),
    ).toEqual({ custody: 'file' });
    expect((await openNodeVault({ home })).entries()).toHaveLength(2);
  });
});

/**
 * A stand-in for libsecret's `secret-tool` (not available on this machine), storing items as
 * files and logging its arguments, so the test can check that Tessera keeps the key out of argv.
 */
function fakeSecretTool(dir: string): { env: NodeJS.ProcessEnv; store: string; argvLog: string } {
  const bin = join(dir, 'bin');
  const store = join(dir, 'store');
  const argvLog = join(dir, 'argv.log');
  mkdirSync(bin, { recursive: true });
  mkdirSync(store, { recursive: true });
  writeFileSync(
    join(bin, 'secret-tool'),
    `#!/bin/sh
echo "$@" >> '${argvLog}'
cmd="$1"; shift
key=""; while [ $# -gt 0 ]; do case "$1" in --label=*) shift;; *) key="$key-$1-$2"; shift 2;; esac; done
case "$cmd" in
  store) cat > '${store}'/"$key";;
  lookup) [ -f '${store}'/"$key" ] && cat '${store}'/"$key" || exit 1;;
  clear) rm -f '${store}'/"$key";;
esac
`,
  );
  chmodSync(join(bin, 'secret-tool'), 0o755);
  return {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
    },
    store,
    argvLog,
  };
}

describe('OS keychain custody', () => {
  it('keeps the key in the Secret Service when reachable, passing it on stdin only', async () => {
    const home = tempHome();
    const { env, argvLog } = fakeSecretTool(tempHome());
    const vault = await openNodeVault({ home, env, keyStore: 'auto' });
    await vault.add(totpEntry(1));
    expect(vault.custody).toBe('os:secret-service');
    expect(existsSync(vaultPaths(home).keyFile)).toBe(false);
    const reopened = await openNodeVault({ home, env });
    expect(reopened.entries()).toHaveLength(1);
    const key = (reopened as unknown as { key: { key: Uint8Array } }).key.key;
    expect(readFileSync(argvLog, 'utf8')).not.toContain(toB64u(key));
    // Without the keychain (another session), the error says where the key is.
    await expect(openNodeVault({ home, env: { PATH: '/nonexistent' } })).rejects.toThrow(
      /kept in the OS keychain \(os:secret-service\), which is not reachable/,
    );
  });

  it('never repeats the key when the keychain tool fails and echoes its input', async () => {
    const dir = tempHome();
    const bin = join(dir, 'bin');
    const received = join(dir, 'received');
    mkdirSync(bin, { recursive: true });
    // A secret-tool that refuses to store, complaining with what it was given.
    writeFileSync(
      join(bin, 'secret-tool'),
      `#!/bin/sh\ninput=$(cat)\nprintf %s "$input" > '${received}'\necho "cannot store $input" >&2\nexit 1\n`,
    );
    chmodSync(join(bin, 'secret-tool'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DBUS_SESSION_BUS_ADDRESS: 'unix:x' };
    const vault = await openNodeVault({ home: tempHome(), env, keyStore: 'os' });
    const error = (await vault.add(totpEntry(1)).catch((e: unknown) => e)) as Error;
    const key = readFileSync(received, 'utf8');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(error.message).toBe(
      'could not store the vault key in the Secret Service (secret-tool): secret-tool failed (exit 1): cannot store [key]',
    );
  });

  it('a keychain tool that quits without reading the key fails with its own message, not a broken pipe', async () => {
    const bin = join(tempHome(), 'bin');
    mkdirSync(bin, { recursive: true });
    // A locked keychain: the tool refuses at once, before reading stdin, so the key is written into a
    // pipe nobody reads. The pipe's error must not escape (it would crash the CLI) nor mask the reason.
    writeFileSync(
      join(bin, 'secret-tool'),
      '#!/bin/sh\nexec 0<&-\necho "the keyring is locked" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'secret-tool'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DBUS_SESSION_BUS_ADDRESS: 'unix:x' };
    for (let i = 0; i < 40; i++) {
      const vault = await openNodeVault({ home: tempHome(), env, keyStore: 'os' });
      await expect(vault.add(totpEntry(1))).rejects.toThrow(
        'could not store the vault key in the Secret Service (secret-tool): secret-tool failed (exit 1): the keyring is locked',
      );
    }
  });

  it('falls back to the key file when no keychain is reachable; TESSERA_KEY_STORE=os insists', async () => {
    const home = tempHome();
    const vault = await openNodeVault({ home, env: { PATH: '/nonexistent' } });
    await vault.add(totpEntry(1));
    expect(vault.custody).toBe('file');
    const strict = await openNodeVault({
      home: tempHome(),
      env: { PATH: '/nonexistent', TESSERA_KEY_STORE: 'os' },
    });
    await expect(strict.add(totpEntry(1))).rejects.toThrow(
      /TESSERA_KEY_STORE=os, but no OS keychain is reachable/,
    );
    await expect(
      (await openNodeVault({ home: tempHome(), env: { TESSERA_KEY_STORE: 'usb' } })).add(totpEntry(1)),
    ).rejects.toThrow(/TESSERA_KEY_STORE must be/);
  });
});
