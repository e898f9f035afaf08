import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VaultDamagedError, VaultError } from '@tessera/vault';
import { checkNodeVault, openNodeVault, restorePreviousGeneration, vaultPaths } from '@tessera/vault/node';
import { tempHome, totpEntry } from './fixtures.js';

const open = (home: string, extra: object = {}) => openNodeVault({ home, keyStore: 'file', ...extra });

async function homeWith(count: number): Promise<string> {
  const home = tempHome();
  const vault = await open(home);
  for (let i = 0; i < count; i++) await vault.add(totpEntry(i));
  return home;
}

describe('vault files', () => {
  it('keeps the previous generation beside the current one, both private to the user', async () => {
    const home = await homeWith(2);
    const paths = vaultPaths(home);
    expect(readdirSync(home).sort()).toEqual(['vault.bin', 'vault.bin.1', 'vault.key']);
    for (const file of [paths.vault, paths.previous, paths.keyFile])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const report = await checkNodeVault({ home });
    expect(report.ok).toBe(true);
    expect([report.current.generation, report.current.entries, report.current.custody]).toEqual([
      2,
      2,
      'file',
    ]);
    expect([report.previous.generation, report.previous.entries]).toEqual([1, 1]);
  });

  it('refuses a file with any single byte changed, naming the file and the restore command', async () => {
    const home = await homeWith(1);
    const paths = vaultPaths(home);
    const good = readFileSync(paths.vault);
    // Every position: signature, header length, header JSON, nonce, ciphertext, tag.
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      writeFileSync(paths.vault, bad);
      const error = await open(home).catch((e: unknown) => e);
      expect(error, `byte ${i}`).toBeInstanceOf(VaultDamagedError);
      expect((error as Error).message, `byte ${i}`).toMatch(
        new RegExp(
          `^${paths.vault.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged or was modified: .*restore it with \`tessera vault restore-previous\``,
        ),
      );
    }
    writeFileSync(paths.vault, good.subarray(0, good.length - 1));
    await expect(open(home)).rejects.toThrow(/authentication failed/);
    writeFileSync(paths.vault, good);
    expect((await open(home)).entries()).toHaveLength(1);
  });

  it('restores the previous generation, keeping the damaged file aside; refuses while the vault is intact', async () => {
    const home = await homeWith(3);
    const paths = vaultPaths(home);
    await expect(restorePreviousGeneration({ home })).rejects.toThrow(
      /is intact; restoring .* would undo the latest change \(pass --force/,
    );
    const bytes = readFileSync(paths.vault);
    bytes[bytes.length - 40]! ^= 0xff;
    writeFileSync(paths.vault, bytes);
    const vaultWrite = open(home).then((v) => v.add(totpEntry(99)));
    await expect(vaultWrite).rejects.toBeInstanceOf(VaultDamagedError);
    expect(readFileSync(paths.vault)).toEqual(bytes); // a damaged vault is never overwritten
    const result = await restorePreviousGeneration({ home });
    expect(result).toMatchObject({ generation: 2, entries: 2 });
    expect(readFileSync(result.setAside!)).toEqual(bytes);
    const vault = await open(home);
    expect(vault.entries().map((e) => e.issuer)).toEqual(['Issuer 0', 'Issuer 1']);
    await vault.add(totpEntry(3));
    expect((await checkNodeVault({ home })).ok).toBe(true);
  });

  it('reports a missing vault whose previous generation exists, instead of starting empty', async () => {
    const home = await homeWith(2);
    const paths = vaultPaths(home);
    renameSync(paths.vault, join(home, 'elsewhere'));
    await expect(open(home)).rejects.toThrow(
      /vault\.bin is damaged or was modified: it is missing, but the previous generation .*vault\.bin\.1 exists/,
    );
    await restorePreviousGeneration({ home });
    expect((await open(home)).entries()).toHaveLength(1);
  });

  it('refuses a key file others can read, a missing one, and one from another vault', async () => {
    const home = await homeWith(1);
    const paths = vaultPaths(home);
    chmodSync(paths.keyFile, 0o644);
    await expect(open(home)).rejects.toThrow(
      /vault\.key can be read by other users \(mode 0644\); run: chmod 600/,
    );
    chmodSync(paths.keyFile, 0o600);
    const other = await homeWith(1);
    const ownKey = readFileSync(paths.keyFile);
    writeFileSync(paths.keyFile, readFileSync(vaultPaths(other).keyFile), { mode: 0o600 });
    await expect(open(home)).rejects.toThrow(/its key id .* is not the one in .*vault\.key/);
    renameSync(paths.keyFile, `${paths.keyFile}.moved`);
    await expect(open(home)).rejects.toThrow(/should be in .*vault\.key, which is missing/);
    writeFileSync(paths.keyFile, ownKey, { mode: 0o600 });
    expect((await open(home)).entries()).toHaveLength(1);
  });

  it('removes temporary files left by a write that was killed', async () => {
    const home = await homeWith(1);
    writeFileSync(join(home, 'vault.bin.tmp-999999-deadbeef'), 'partial');
    writeFileSync(join(home, 'vault.bin.1.tmp-999999-deadbeef'), 'partial');
    await (await open(home)).add(totpEntry(5));
    expect(readdirSync(home).sort()).toEqual(['vault.bin', 'vault.bin.1', 'vault.key']);
  });
  it('an open vault refuses its file changed in place behind it, and never overwrites it', async () => {
    const home = tempHome();
    const vault = await open(home);
    // Larger than the first bytes a write compares (the longest header and the nonce).
    await vault.addMany(Array.from({ length: 40 }, (_, i) => totpEntry(i)));
    const paths = vaultPaths(home);
    const bytes = readFileSync(paths.vault);
    expect(bytes.length).toBeGreaterThan(12 + 4096 + 24 + 20);
    // A byte of the ciphertext, past the header and nonce the next write compares: the file keeps
    // its size and its first bytes, and only its times tell the change (as any later write's would).
    bytes[bytes.length - 20]! ^= 0x01;
    writeFileSync(paths.vault, bytes);
    const later = new Date(statSync(paths.vault).mtimeMs + 5_000);
    utimesSync(paths.vault, later, later);
    await expect(vault.add(totpEntry(99))).rejects.toBeInstanceOf(VaultDamagedError);
    expect(readFileSync(paths.vault)).toEqual(bytes);
  });

  it('reads the file again when another process replaced it, even at the same size', async () => {
    const home = tempHome();
    const a = await open(home);
    const b = await open(home);
    const { id } = await a.add(totpEntry(1));
    await b.refresh();
    for (const issuer of ['x', 'y', 'z']) {
      await b.rename(id, { issuer });
      // a's next change starts from b's write, not from what a last saw.
      await a.update(id, { tags: [issuer] });
      expect(a.get(id)).toMatchObject({ issuer, tags: [issuer] });
    }
    expect((await open(home)).get(id)).toMatchObject({ issuer: 'z', tags: ['z'] });
  });
});

describe('the write lock', () => {
  it('breaks a lock left by a process that died', async () => {
    const home = await homeWith(1);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(vaultPaths(home).lock, JSON.stringify({ pid: dead, host: hostname(), at: Date.now() }));
    await (await open(home, { lockTimeoutMs: 2000 })).add(totpEntry(2));
    expect(existsSync(vaultPaths(home).lock)).toBe(false);
  });

  it('waits for a live holder, then proceeds once it is gone', async () => {
    const home = await homeWith(1);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((resolve) => holder.once('spawn', resolve));
    writeFileSync(
      vaultPaths(home).lock,
      JSON.stringify({ pid: holder.pid, host: hostname(), at: Date.now() }),
    );
    const vault = await open(home, { lockTimeoutMs: 10_000 });
    let done = false;
    const write = vault.add(totpEntry(2)).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(done).toBe(false);
    holder.kill('SIGKILL');
    await write;
    expect(vault.entries()).toHaveLength(2);
  });

  it('gives up after the timeout with a message naming the holder and the lock file', async () => {
    const home = await homeWith(1);
    mkdirSync(home, { recursive: true });
    writeFileSync(vaultPaths(home).lock, JSON.stringify({ pid: 4242, host: 'another-machine', at: 0 }));
    const error = await (await open(home, { lockTimeoutMs: 300 })).add(totpEntry(2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as Error).message).toBe(
      `the vault is locked by process 4242 on another-machine since 1970-01-01T00:00:00.000Z; if no tessera process is running there, delete ${vaultPaths(home).lock}`,
    );
  });
});
