// Shared folders, the rest of the product (issue 16) on SQLite and PostgreSQL, through the real server
// behind a tampering proxy: HOTP entries whose counter every member shares (takes in turn and at once
// never give the same code, the codes are RFC 4226's, a viewer is refused), edits over a stale copy
// that cannot roll a counter back, the server's compare-and-swap on folder entries, and an invitee
// that sees the folder's name from the owner's signed invite before accepting (and not a changed one).
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeEntry } from '@tessera/otp';
import { canon } from '@tessera/protocol';
import { BACKENDS } from '../../../server/test/helpers.js';
import { KeychainError, signup } from '../../src/keychain/index.js';
import {
  acceptInvite,
  addFolderEntry,
  createFolder,
  editFolderEntry,
  folderRecords,
  inviteMember,
  listFolders,
  nextFolderHotp,
  pendingInvite,
  syncFolders,
  usesFolders,
  type FolderLink,
} from '../../src/folders/index.js';
import { sealInviteName } from '../../src/folders/invite-name.js';
import { device, folderRefused, useProxiedServer, type Json } from '../keychain/tampering-proxy.js';

type Device = Awaited<ReturnType<typeof device>>;

/** RFC 4226 appendix D: the secret "12345678901234567890" and its codes for counters 0 to 9. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_CODES = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];
const FOLDER_NAME = 'Night shift 4711';

describe.each(BACKENDS)('shared folders: HOTP, edits and invite names (%s)', (backend) => {
  const proxy = useProxiedServer(backend);
  let alice: Device;
  let bob: Device;
  let carol: Device;
  let folder = '';
  const tag = crypto.randomUUID().slice(0, 8);
  const emailOf = (d: Device) => d.keychain.requireState().email;

  async function account(name: string): Promise<Device> {
    const d = await device();
    await signup(d.keychain, {
      server: proxy.url,
      email: `${name}-${tag}@example.com`,
      password: 'correct horse battery staple',
      deviceName: name,
      keepRecoveryKey: async () => {},
    });
    return d;
  }

  beforeAll(async () => {
    alice = await account('alice');
    bob = await account('bob');
    carol = await account('carol');
    // A new account has no sharing key: background syncs leave it alone until it uses folders.
    expect(usesFolders({ keychain: bob.keychain })).toBe(false);
    await listFolders({ keychain: bob.keychain });
    await listFolders({ keychain: carol.keychain });
    expect(usesFolders({ keychain: bob.keychain })).toBe(true);
    folder = (await createFolder({ keychain: alice.keychain, name: FOLDER_NAME })).id;
  });

  it('shows an invitee the folder name from the signed invite before accepting, and not a changed one', async () => {
    await inviteMember({
      keychain: alice.keychain,
      folder,
      email: emailOf(bob),
      role: 'editor',
      confirm: async () => true,
    });
    const listed = await listFolders({ keychain: bob.keychain });
    expect(listed.invites).toEqual([
      { folder, name: FOLDER_NAME, role: 'editor', invitedBy: emailOf(alice) },
    ]);
    expect((await pendingInvite({ keychain: bob.keychain, folder })).name).toBe(FOLDER_NAME);

    // The server cannot read it: the stored log holds it sealed only.
    const { links } = await alice.keychain.client().call('folderLinks', { query: { folder } });
    expect(links.join('\n')).not.toContain(FOLDER_NAME);

    // A server that swaps the sealed name (anyone can seal to bob's public key) breaks the owner's
    // signature: the invite lists unnamed, and accepting it is refused.
    const bobInvite = JSON.parse(links[1]!) as FolderLink;
    proxy.tamper = (req, res) => {
      if (req.method !== 'GET' || !req.path.startsWith('/v1/folders/links')) return undefined;
      const swapped = (res.links as string[]).map((text) => {
        const link = JSON.parse(text) as FolderLink;
        if (link.op !== 'invite') return text;
        const name = sealInviteName({
          folder,
          member: link.member.account,
          name: 'Pay this invoice',
          recipient: bobInvite.member,
        });
        return canon({ ...link, name });
      });
      return { ...res, links: swapped } as Json;
    };
    const tampered = await listFolders({ keychain: bob.keychain });
    expect(tampered.invites).toEqual([{ folder, name: '', role: 'editor', invitedBy: emailOf(alice) }]);
    await folderRefused(
      acceptInvite({ keychain: bob.keychain, folder, confirm: async () => true }),
      'log-forged',
      /signature/,
    );
    proxy.tamper = null;

    await acceptInvite({ keychain: bob.keychain, folder, confirm: async () => true });
    await inviteMember({
      keychain: alice.keychain,
      folder,
      email: emailOf(carol),
      role: 'viewer',
      confirm: async () => true,
    });
    expect((await listFolders({ keychain: carol.keychain })).invites).toEqual([
      { folder, name: FOLDER_NAME, role: 'viewer', invitedBy: emailOf(alice) },
    ]);
    await acceptInvite({ keychain: carol.keychain, folder, confirm: async () => true });
    // Alice's device wraps the key to both; then they read the folder under its name.
    await syncFolders({ keychain: alice.keychain });
    const bobView = await syncFolders({ keychain: bob.keychain });
    expect(bobView.folders.map((f) => f.name)).toEqual([FOLDER_NAME]);
    await syncFolders({ keychain: carol.keychain });
  });

  it('never gives two members the same HOTP code, in turn or at once, and the codes are RFC 4226', async () => {
    const added = await addFolderEntry({
      keychain: alice.keychain,
      folder,
      entry: normalizeEntry({
        type: 'hotp',
        secret: RFC_SECRET,
        counter: 0,
        issuer: 'Door',
        account: 'night',
      }),
    });
    const id = added.entry.id;
    await syncFolders({ keychain: bob.keychain, folder });
    await syncFolders({ keychain: carol.keychain, folder });
    const take = (d: Device) => nextFolderHotp({ keychain: d.keychain, folder, id });

    // In turn, without syncing in between: each take finds the other's higher counter and moves past it.
    const codes: string[] = [];
    for (const d of [alice, bob, alice, bob]) codes.push((await take(d)).code);
    expect(codes).toEqual(RFC_CODES.slice(0, 4));

    // At once: one of the two writes on the same version is refused, merged and made again.
    const both = await Promise.all([take(alice), take(bob)]);
    expect(both.map((t) => t.code).sort()).toEqual(RFC_CODES.slice(4, 6).sort());
    expect(both.map((t) => t.counter).sort()).toEqual([4, 5]);
    expect((await take(alice)).code).toBe(RFC_CODES[6]);

    // A viewer cannot move the shared counter: refused with the reason, and the server refuses too.
    await folderRefused(take(carol), 'not-writer', /viewer cannot take counter-based \(HOTP\) codes/);
    const write = await carol.keychain
      .client()
      .call('folderEntriesPost', { body: { folder, entries: [{ id, epoch: 1, blob: 'AAAA' }] } })
      .catch((e: unknown) => e);
    expect((write as KeychainError).details.status).toBe(403);

    // Every member's copy ends on the highest counter.
    for (const d of [alice, bob, carol]) {
      await syncFolders({ keychain: d.keychain, folder });
      const record = folderRecords({ keychain: d.keychain, folder }).find((r) => r.entry.id === id)!;
      expect(record.entry.counter).toBe(7);
    }
    expect((await take(bob)).code).toBe(RFC_CODES[7]);
  });

  it('merges an edit made over a stale copy, so a rename never rolls the counter back', async () => {
    const id = folderRecords({ keychain: alice.keychain, folder }).find((r) => r.entry.issuer === 'Door')!
      .entry.id;
    // Alice's copy is stale (bob took the last code); her rename is refused as stale, merged and retried.
    await editFolderEntry({ keychain: alice.keychain, folder, id, patch: { issuer: 'Back door' } });
    await syncFolders({ keychain: bob.keychain, folder });
    const seen = folderRecords({ keychain: bob.keychain, folder }).find((r) => r.entry.id === id)!.entry;
    expect(seen).toMatchObject({ issuer: 'Back door', counter: 8 });
    expect((await nextFolderHotp({ keychain: alice.keychain, folder, id })).code).toBe(RFC_CODES[8]);

    // A viewer's rename is refused by its client.
    await folderRefused(
      editFolderEntry({ keychain: carol.keychain, folder, id, patch: { issuer: 'Mine' } }),
      'not-writer',
      /viewer cannot add, edit or delete/,
    );
  });

  it('refuses a write on a stale version (409) and writes nothing', async () => {
    const client = alice.keychain.client();
    const before = await client.call('folderEntries', { query: { folder } });
    const [existing] = before.entries.filter((e) => e.epoch === 1).slice(-1);
    const stale = await client
      .call('folderEntriesPost', {
        body: {
          folder,
          entries: [{ id: existing!.id, epoch: 1, blob: existing!.blob, base: existing!.version - 1 }],
        },
      })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(KeychainError);
    expect([(stale as KeychainError).code, (stale as Error).message]).toEqual([
      'conflict',
      expect.any(String),
    ]);
    const fresh = crypto.randomUUID();
    const taken = await client
      .call('folderEntriesPost', {
        body: { folder, entries: [{ id: fresh, epoch: 1, blob: existing!.blob, base: 3 }] },
      })
      .catch((e: unknown) => e);
    expect((taken as KeychainError).code).toBe('conflict');
    const after = await client.call('folderEntries', { query: { folder } });
    expect(after.head).toBe(before.head);
    expect(after.entries).toEqual(before.entries);
  });
});
